using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Kube.Store.Etcd;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Tests.Etcd;

/// <summary>
/// Three replicated members in this process (each its own Kestrel with a client and a peer endpoint on loopback), driven by the
/// real etcdctl 3.4 against any member: writes on followers, linearizable and serializable reads, leases through the leader,
/// member list/add/remove (a fourth member joins with --initial-cluster-state existing), learners.
/// </summary>
[TestClass]
public sealed class ReplicatedEtcdctlTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public TestContext TestContext { get; set; } = null!;

    private sealed record Member(string Name, int ClientPort, int PeerPort, string DataDir)
    {
        public WebApplication? App { get; set; }
        public string Client => $"127.0.0.1:{ClientPort}";
        public string PeerUrl => $"http://127.0.0.1:{PeerPort}";
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string? FindEtcdctl() => File.Exists("/usr/bin/etcdctl") ? "/usr/bin/etcdctl" : null;

    private static async Task<(int Exit, string Output)> Etcdctl(string endpoints, params string[] args)
    {
        var psi = new ProcessStartInfo(FindEtcdctl()!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["ETCDCTL_API"] = "3";
        psi.ArgumentList.Add("--endpoints=" + endpoints);
        psi.ArgumentList.Add("--dial-timeout=2s");
        psi.ArgumentList.Add("--command-timeout=10s");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, (await stdout) + (await stderr));
    }

    private static async Task StartAsync(Member m, string initialCluster, string state)
    {
        var options = new StoreOptions
        {
            DataDir = m.DataDir,
            MemberName = m.Name,
            InitialCluster = initialCluster,
            InitialClusterState = state,
            InitialClusterToken = "replicated-test",
            AdvertiseClientUrls = "http://" + m.Client,
            RaftTickInterval = TimeSpan.FromMilliseconds(50),
        };
        m.App = EtcdServer.Create(options, [new IPEndPoint(IPAddress.Loopback, m.ClientPort)], [new IPEndPoint(IPAddress.Loopback, m.PeerPort)],
            b => b.Logging.ClearProviders());
        await m.App.StartAsync();
    }

    private static async Task<string> UntilAsync(Func<Task<(bool Done, string Last)>> check, string what)
    {
        var start = Stopwatch.GetTimestamp();
        var last = "";
        while (Stopwatch.GetElapsedTime(start) < Deadline)
        {
            (var done, last) = await check();
            if (done)
            {
                return last;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"{what} within {Deadline}; last output: {last}");
        return last;
    }

    [TestMethod]
    public async Task ThreeMembers_ServeEtcdctlOnEveryMember_AndChangeMembership()
    {
        if (FindEtcdctl() is null)
        {
            Assert.Inconclusive("etcdctl is needed: apt-get install -y etcd-client");
        }
        var root = Path.Combine(Path.GetTempPath(), "kube-replicated-" + Guid.NewGuid().ToString("N"));
        var members = Enumerable.Range(1, 3).Select(i => new Member($"m{i}", FreePort(), FreePort(), Path.Combine(root, $"m{i}"))).ToList();
        var initialCluster = string.Join(",", members.Select(m => $"{m.Name}={m.PeerUrl}"));
        Member? joiner = null;
        Member? learnerMember = null;
        try
        {
            await Task.WhenAll(members.Select(m => StartAsync(m, initialCluster, "new")));
            foreach (var m in members)
            {
                await UntilAsync(async () => { var r = await Etcdctl(m.Client, "endpoint", "health"); return (r.Exit == 0, r.Output); }, $"{m.Name} healthy");
            }

            // Writes and reads on every member, whoever leads.
            foreach (var (m, i) in members.Select((m, i) => (m, i)))
            {
                Assert.AreEqual(0, (await Etcdctl(m.Client, "put", $"/k{i}", $"v{i}")).Exit);
            }
            foreach (var m in members)
            {
                var all = await Etcdctl(m.Client, "get", "/k", "--prefix", "--print-value-only");
                Assert.AreEqual("v0\nv1\nv2", all.Output.Trim(), m.Name);
                var serial = await UntilAsync(async () =>
                {
                    var r = await Etcdctl(m.Client, "get", "/k2", "--consistency=s", "--print-value-only");
                    return (r.Output.Trim() == "v2", r.Output);
                }, $"serializable read on {m.Name}");
            }

            // endpoint status: every member names the same leader and term.
            var status = await Etcdctl(string.Join(",", members.Select(m => m.Client)), "endpoint", "status", "-w", "json");
            Assert.AreEqual(0, status.Exit, status.Output);
            using (var doc = JsonDocument.Parse(status.Output))
            {
                var leaders = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("Status").GetProperty("leader").GetUInt64()).Distinct().ToList();
                Assert.HasCount(1, leaders, status.Output);
                Assert.AreNotEqual(0UL, leaders[0]);
                Assert.IsTrue(doc.RootElement.EnumerateArray().All(e => e.GetProperty("Status").GetProperty("raftTerm").GetUInt64() > 0), status.Output);
            }

            // Leases on a follower: granted, kept alive and revoked through the log.
            var follower = members[2].Client;
            var grant = await Etcdctl(follower, "lease", "grant", "30");
            var leaseId = grant.Output.Split(' ')[1];
            Assert.AreEqual(0, (await Etcdctl(follower, "put", "/leased", "x", "--lease=" + leaseId)).Exit);
            Assert.Contains("TTL(30)", (await Etcdctl(follower, "lease", "keep-alive", "--once", leaseId)).Output);
            Assert.Contains("/leased", (await Etcdctl(members[0].Client, "lease", "timetolive", leaseId, "--keys")).Output);
            Assert.AreEqual(0, (await Etcdctl(members[1].Client, "lease", "revoke", leaseId)).Exit);
            Assert.AreEqual("", (await Etcdctl(follower, "get", "/leased")).Output.Trim());

            // member list: three started members with their client URLs.
            var list = await UntilAsync(async () =>
            {
                var r = await Etcdctl(members[0].Client, "member", "list");
                return (members.All(m => r.Output.Contains($"started, {m.Name}, {m.PeerUrl}, http://{m.Client}")), r.Output);
            }, "member list with every member started");

            // member add, then the new member joins with --initial-cluster-state existing and catches up.
            joiner = new Member("m4", FreePort(), FreePort(), Path.Combine(root, "m4"));
            var added = await Etcdctl(members[1].Client, "member", "add", "m4", "--peer-urls=" + joiner.PeerUrl);
            Assert.AreEqual(0, added.Exit, added.Output);
            StringAssert.Contains(added.Output, "ETCD_INITIAL_CLUSTER_STATE=\"existing\"");
            // While m4 is added but not started, etcd's strict reconfiguration check refuses another voter.
            var again = await Etcdctl(members[1].Client, "member", "add", "m4b", "--peer-urls=" + joiner.PeerUrl);
            Assert.AreNotEqual(0, again.Exit);
            StringAssert.Contains(again.Output, "etcdserver: unhealthy cluster");
            await StartAsync(joiner, initialCluster + $",m4={joiner.PeerUrl}", "existing");
            await UntilAsync(async () =>
            {
                var r = await Etcdctl(joiner.Client, "get", "/k0", "--consistency=s", "--print-value-only");
                return (r.Output.Trim() == "v0", r.Output);
            }, "the joined member has the data");
            Assert.AreEqual(0, (await Etcdctl(joiner.Client, "put", "/from-m4", "yes")).Exit);
            Assert.AreEqual("yes", (await Etcdctl(members[0].Client, "get", "/from-m4", "--print-value-only")).Output.Trim());
            var withFour = await UntilAsync(async () =>
            {
                var r = await Etcdctl(members[0].Client, "member", "list", "-w", "json");
                return (r.Output.Contains("\"name\":\"m4\""), r.Output);
            }, "member list shows m4 started");
            ulong m4Id;
            using (var doc = JsonDocument.Parse(withFour))
            {
                var ms = doc.RootElement.GetProperty("members").EnumerateArray().ToList();
                Assert.HasCount(4, ms);
                m4Id = ms.Single(e => e.GetProperty("name").GetString() == "m4").GetProperty("ID").GetUInt64();
            }

            // member remove: back to three.
            var removed = await Etcdctl(members[0].Client, "member", "remove", m4Id.ToString("x"));
            Assert.AreEqual(0, removed.Exit, removed.Output);
            StringAssert.Contains(removed.Output, "removed from cluster");
            var missing = await Etcdctl(members[0].Client, "member", "remove", m4Id.ToString("x"));
            StringAssert.Contains(missing.Output, "etcdserver: member not found");
            Assert.DoesNotContain("m4", (await Etcdctl(members[2].Client, "member", "list")).Output);
            // The removed member stops its host, as etcd's member exits.
            await UntilAsync(() => Task.FromResult((joiner.App!.Lifetime.ApplicationStopping.IsCancellationRequested, "m4 still running")), "the removed member stops");

            // A learner: refused promotion until it has caught up (etcd: 90% of the leader's log), then promoted, removed again.
            learnerMember = new Member("l5", FreePort(), FreePort(), Path.Combine(root, "l5"));
            var learner = await Etcdctl(members[0].Client, "member", "add", "l5", "--learner", "--peer-urls=" + learnerMember.PeerUrl);
            Assert.AreEqual(0, learner.Exit, learner.Output);
            var learnerList = await Etcdctl(members[0].Client, "member", "list");
            var learnerId = learnerList.Output.Split('\n').Single(l => l.TrimEnd().EndsWith("true", StringComparison.Ordinal)).Split(',')[0];
            StringAssert.Contains((await Etcdctl(members[1].Client, "member", "promote", learnerId)).Output,
                "etcdserver: can only promote a learner member which is in sync with leader");
            await StartAsync(learnerMember, initialCluster + $",l5={learnerMember.PeerUrl}", "existing");
            var promoted = await UntilAsync(async () =>
            {
                var r = await Etcdctl(members[2].Client, "member", "promote", learnerId);
                return (r.Exit == 0, r.Output);
            }, "the caught-up learner is promoted (forwarded by a follower or run by the leader)");
            StringAssert.Contains(promoted, "promoted in cluster");
            StringAssert.Contains((await Etcdctl(members[0].Client, "member", "promote", learnerId)).Output, "etcdserver: can only promote a learner member");
            Assert.AreEqual(0, (await Etcdctl(members[0].Client, "member", "remove", learnerId)).Exit);
            Assert.AreEqual(0, (await Etcdctl(members[1].Client, "put", "/after", "ok")).Exit);
        }
        finally
        {
            foreach (var m in members.Append(joiner).Append(learnerMember))
            {
                if (m?.App is { } app)
                {
                    await app.StopAsync();
                    await app.DisposeAsync();
                }
            }
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
