using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// Three <c>kube-host store</c> processes on loopback, started with etcd's cluster flags and driven by the real etcdctl:
/// put/get/watch/member list/endpoint status against any member, kill -9 of the leader during a write loop (the time until
/// writes resume is printed), no acknowledged write lost, and the killed member restarted far behind a compacted log catching
/// up by snapshot install.
/// </summary>
[TestClass]
public sealed class StoreClusterTests
{
    public TestContext TestContext { get; set; } = null!;

    private sealed record Member(string Name, int ClientPort, int PeerPort)
    {
        public LiveProcess? Process { get; set; }
        public string Client => $"127.0.0.1:{ClientPort}";
        public string PeerUrl => $"http://127.0.0.1:{PeerPort}";
    }

    private static async Task<(int Code, string Out)> Etcdctl(string endpoints, params string[] args)
    {
        var p = new ProcessStartInfo("/usr/bin/etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        p.Environment["ETCDCTL_API"] = "3";
        p.ArgumentList.Add("--endpoints=" + endpoints);
        p.ArgumentList.Add("--dial-timeout=1s");
        p.ArgumentList.Add("--command-timeout=5s");
        foreach (var a in args) p.ArgumentList.Add(a);
        using var proc = System.Diagnostics.Process.Start(p)!;
        var stdout = proc.StandardOutput.ReadToEndAsync();
        var stderr = proc.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try { await proc.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { proc.Kill(true); return (-1, "etcdctl timed out"); }
        // etcdctl logs its own retries (e.g. after 'request timed out' under load) on stderr even when the command
        // then succeeds, so stderr is only part of the answer when the command failed.
        return proc.ExitCode == 0 ? (0, await stdout) : (proc.ExitCode, (await stdout) + (await stderr));
    }

    private static LiveProcess Start(Member m, string dataRoot, string initialCluster) =>
        LiveProcess.Start("dotnet",
        [
            KubeHostProcess.HostDll(), "store", "--name", m.Name, "--data-dir", Path.Combine(dataRoot, m.Name),
            "--listen-client-urls", "http://" + m.Client, "--advertise-client-urls", "http://" + m.Client,
            "--listen-peer-urls", m.PeerUrl, "--initial-advertise-peer-urls", m.PeerUrl,
            "--initial-cluster", initialCluster, "--initial-cluster-token", "e2e-cluster", "--initial-cluster-state", "new",
            "--snapshot-count", "100", "--experimental-snapshot-catchup-entries", "20",
        ]);

    private static async Task<ulong> LeaderAsync(IEnumerable<Member> members)
    {
        var status = await Etcdctl(string.Join(",", members.Select(m => m.Client)), "endpoint", "status", "-w", "json");
        if (status.Code != 0) return 0;
        using var doc = JsonDocument.Parse(status.Out);
        var leaders = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("Status").GetProperty("leader").GetUInt64()).Distinct().ToList();
        return leaders.Count == 1 ? leaders[0] : 0;
    }

    private static async Task<long> CountAsync(Member m, string prefix, bool serializable)
    {
        var r = await Etcdctl(m.Client, "get", prefix, "--prefix", "--count-only", "-w", "json", serializable ? "--consistency=s" : "--consistency=l");
        if (r.Code != 0) return -1;
        using var doc = JsonDocument.Parse(r.Out);
        return doc.RootElement.TryGetProperty("count", out var c) ? c.GetInt64() : 0;
    }

    [TestMethod]
    [Timeout(180_000, CooperativeCancellation = true)]
    public async Task ThreeStoreProcesses_SurviveKill9OfTheLeader_AndTheKilledMemberCatchesUpBySnapshot()
    {
        if (!File.Exists("/usr/bin/etcdctl")) Assert.Inconclusive("etcdctl is needed: apt-get install -y etcd-client");
        var root = Directory.CreateTempSubdirectory("kube-e2e-store-cluster-").FullName;
        var members = Enumerable.Range(1, 3).Select(i => new Member($"s{i}", KubeHostProcess.FreePort(), KubeHostProcess.FreePort())).ToList();
        var initialCluster = string.Join(",", members.Select(m => $"{m.Name}={m.PeerUrl}"));
        var all = string.Join(",", members.Select(m => m.Client));
        LiveProcess? watch = null;
        try
        {
            foreach (var m in members) m.Process = Start(m, root, initialCluster);
            foreach (var m in members)
            {
                var healthy = await Wait.UntilAsync(async () => !m.Process!.HasExited && (await Etcdctl(m.Client, "endpoint", "health")).Code == 0, TimeSpan.FromSeconds(60));
                Assert.IsTrue(healthy, $"{m.Name} never became healthy:\n{m.Process!.Stdout}\n{m.Process.Stderr}");
            }

            // put/get/watch against different members.
            watch = LiveProcess.Start("/usr/bin/etcdctl", ["--endpoints=" + members[1].Client, "watch", "/w", "--prefix"], new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
            Assert.IsTrue(await Wait.UntilAsync(async () =>
            {
                await Etcdctl(members[2].Client, "put", "/w/1", "hello");
                return await watch.WaitForLineAsync(l => l == "/w/1", TimeSpan.FromMilliseconds(500));
            }, TimeSpan.FromSeconds(20)), "watch on s2 never saw a put on s3: " + watch.Stdout + watch.Stderr);
            Assert.AreEqual("hello", (await Etcdctl(members[0].Client, "get", "/w/1", "--print-value-only")).Out.Trim());

            var list = await Etcdctl(members[0].Client, "member", "list");
            Assert.IsTrue(await Wait.UntilAsync(async () =>
            {
                list = await Etcdctl(members[0].Client, "member", "list");
                return members.All(m => list.Out.Contains($"started, {m.Name}, {m.PeerUrl}, http://{m.Client}"));
            }, TimeSpan.FromSeconds(20)), "member list: " + list.Out);
            var ids = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(l => Convert.ToUInt64(l.Split(',')[0].Trim(), 16), l => l.Split(',')[2].Trim());

            ulong leaderId = 0;
            Assert.IsTrue(await Wait.UntilAsync(async () => (leaderId = await LeaderAsync(members)) != 0, TimeSpan.FromSeconds(20)), "no agreed leader");
            var victim = members.Single(m => m.Name == ids[leaderId]);
            var survivors = members.Where(m => m != victim).ToList();

            // A bounded write loop through all three endpoints; the leader is killed with SIGKILL once it runs.
            var acked = new ConcurrentBag<(int I, long Started, long At)>();
            long killedAt = 0;
            var writer = Task.Run(async () =>
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < 400 && Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(40); i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var r = await Etcdctl(all, "put", $"/fo/{i:D4}", $"v{i}");
                    if (r.Code == 0) acked.Add((i, started, Stopwatch.GetTimestamp()));
                    var k = Interlocked.Read(ref killedAt);
                    if (k != 0 && acked.Count(a => a.At > k) >= 30) break;
                }
            });
            Assert.IsTrue(await Wait.UntilAsync(() => acked.Count >= 10, TimeSpan.FromSeconds(30)), "writes never started");
            Interlocked.Exchange(ref killedAt, Stopwatch.GetTimestamp());
            victim.Process!.Kill();
            await writer;
            // Writes resumed: the first write sent after the kill that was acknowledged.
            var after = acked.Where(a => a.Started > killedAt).OrderBy(a => a.At).ToList();
            Assert.IsNotEmpty(after, "no write succeeded after the leader was killed");
            var resumed = Stopwatch.GetElapsedTime(killedAt, after[0].At);
            ulong newLeader = 0;
            Assert.IsTrue(await Wait.UntilAsync(async () => (newLeader = await LeaderAsync(survivors)) != 0, TimeSpan.FromSeconds(20)));
            Assert.AreNotEqual(leaderId, newLeader);
            TestContext.WriteLine($"kill -9 of leader {victim.Name}: writes resumed after {resumed.TotalMilliseconds:F0} ms (new leader {ids[newLeader]}); {acked.Count} writes acknowledged");
            Assert.IsLessThan(TimeSpan.FromSeconds(10), resumed, "writes took too long to resume after the leader died");

            // Push the survivors' log well past a snapshot (every 100 entries, 20 kept), and compact the MVCC history.
            var filler = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 40; i++) await Etcdctl(survivors[w % 2].Client, "put", $"/fill/{w}/{i}", "x");
            })).ToArray();
            await Task.WhenAll(filler);
            var rev = JsonDocument.Parse((await Etcdctl(survivors[0].Client, "get", "/w/1", "-w", "json")).Out).RootElement.GetProperty("header").GetProperty("revision").GetInt64();
            Assert.AreEqual(0, (await Etcdctl(survivors[0].Client, "compaction", rev.ToString())).Code);

            // No acknowledged write was lost.
            var keys = (await Etcdctl(survivors[1].Client, "get", "/fo/", "--prefix", "--keys-only")).Out
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            var lost = acked.Where(a => !keys.Contains($"/fo/{a.I:D4}")).Select(a => a.I).ToList();
            Assert.IsEmpty(lost, "acknowledged writes lost: " + string.Join(",", lost));

            // The killed member restarts from its data dir and catches up by a snapshot.
            victim.Process = Start(victim, root, initialCluster);
            var expectedFo = await CountAsync(survivors[0], "/fo/", serializable: false);
            var expectedFill = await CountAsync(survivors[0], "/fill/", serializable: false);
            Assert.IsTrue(await Wait.UntilAsync(async () =>
                await CountAsync(victim, "/fo/", serializable: true) == expectedFo && await CountAsync(victim, "/fill/", serializable: true) == expectedFill,
                TimeSpan.FromSeconds(60)), $"{victim.Name} did not catch up:\n{victim.Process.Stdout}\n{victim.Process.Stderr}");
            var installed = await Wait.UntilAsync(() => victim.Process.Stdout.Contains("installed a snapshot"), TimeSpan.FromSeconds(10));
            Assert.IsTrue(installed, $"{victim.Name} (exited: {victim.Process.HasExited}) caught up without a snapshot:\n{victim.Process.Stdout}\n{victim.Process.Stderr}");
            Assert.AreEqual(0, (await Etcdctl(victim.Client, "put", "/back", "yes")).Code);
            Assert.AreEqual("yes", (await Etcdctl(survivors[0].Client, "get", "/back", "--print-value-only")).Out.Trim());
        }
        finally
        {
            if (watch is not null) await watch.DisposeAsync();
            foreach (var m in members)
            {
                if (m.Process is { } p) await p.DisposeAsync();
            }
            try { Directory.Delete(root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
