using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Kube.ApiServer;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Store;

namespace Kube.Benchmarks;

/// <summary>
/// Issue 7's podstartup benchmark: an in-process API server over an EmbeddedStore, and the node agent as its own child
/// process (this executable's <c>podstartup-agent</c> mode, over HTTP) so that its CPU and memory are its own. Pods are
/// bound to the node directly (no scheduler): the figure is the agent's. For each runtime: 100 pods created in batches
/// of 10 (each batch created at once, the next when all are Running), create → Running from a watch; then 100 pods with
/// an exec readiness probe (periodSeconds 1), create → Ready; then 110 idle pods, the agent's CPU share over an idle
/// window (from <c>--settle-seconds</c> after the last is Running) and its RSS. <c>--agent</c> picks the agent process
/// (<see cref="PodStartupAgentProcess"/>): embedded, jit (kube-node on the JIT) or aot (kube-node compiled ahead of time).
/// </summary>
internal static class PodStartupBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var pods = int.Parse(Arg(args, "--pods") ?? "100", CultureInfo.InvariantCulture);
        var batch = int.Parse(Arg(args, "--batch") ?? "10", CultureInfo.InvariantCulture);
        var idleSeconds = int.Parse(Arg(args, "--idle-seconds") ?? "60", CultureInfo.InvariantCulture);
        var settleSeconds = int.Parse(Arg(args, "--settle-seconds") ?? "10", CultureInfo.InvariantCulture);
        var runtimes = (Arg(args, "--runtime") ?? "process,simulated").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var agents = (Arg(args, "--agent") ?? "embedded").Split(',', StringSplitOptions.RemoveEmptyEntries);
        Console.WriteLine($"podstartup: {pods} pods in batches of {batch}; idle window {idleSeconds} s at 110 pods, starting {settleSeconds} s after all are Running; " +
            $"agents {string.Join(", ", agents)}; {Environment.ProcessorCount} cores");
        Console.WriteLine("| agent | runtime | pods | pods/s | create→Running p50 | p99 | create→Ready (readiness probe) p50 | p99 | agent CPU idle at 110 pods | agent RSS (anon + file + shmem) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var agentKind in agents)
        {
            var agent = PodStartupAgentProcess.Resolve(agentKind, reuseBuild: args.Contains("--reuse-build"));
            foreach (var runtime in runtimes)
            {
                await RunRuntimeAsync(agent, runtime, pods, batch, idleSeconds, settleSeconds);
            }
        }

        return 0;
    }

    private static async Task RunRuntimeAsync(PodStartupAgentProcess agentKind, string runtime, int pods, int batch, int idleSeconds, int settleSeconds)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"kube-bench-podstartup-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        await using var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = Path.Combine(dir, "store") });
        await using var server = await KubeApiServer.StartAsync(new ApiServerOptions { Port = 0 }, store);
        var client = server.CreateClient(UserInfo.Admin);
        await client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "bench" } });
        var marker = $"{4000 + Random.Shared.Next(1000)}.{Random.Shared.Next(100000, 999999)}";
        using var agent = agentKind.Start(server.BaseAddress, dir, runtime);
        try
        {
            await WaitAsync(async () => agent.HasExited
                    ? throw new InvalidOperationException($"the agent exited ({agent.ExitCode}) before its node was Ready")
                    : (await client.GetAsync<V1Node>("bench-node")).Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true,
                TimeSpan.FromSeconds(60), "the agent never registered a Ready node");
            Console.Error.WriteLine($"  {agentKind.Name} {runtime}: agent pid {agent.Id} registered ({agentKind.Description})");

            var running = await MeasureAsync(client, "run", pods, batch, readiness: false, marker);
            var ready = await MeasureAsync(client, "ready", pods, batch, readiness: true, marker);
            await DeleteAllAsync(client);

            var idle = "n/a";
            var rss = "n/a";
            // 110 idle pods (maxPods), then the agent's CPU over the window and its RSS at the end.
            // The window starts settleSeconds after the last pod is Running, so the tail of their start is not counted.
            await MeasureAsync(client, "idle", 110, 110, readiness: false, marker);
            await Task.Delay(TimeSpan.FromSeconds(settleSeconds));
            var (cpu0, t0) = (CpuSeconds(agent.Id), Stopwatch.GetTimestamp());
            await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
            var cpu = CpuSeconds(agent.Id) - cpu0;
            var window = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            idle = $"{cpu / window * 100:F1}% of a core";
            var memory = MemoryBreakdown(agent.Id);
            rss = $"{Kib(memory, "VmRSS") / 1024:F0} MiB ({Kib(memory, "RssAnon") / 1024:F0} + {Kib(memory, "RssFile") / 1024:F0} + {Kib(memory, "RssShmem") / 1024:F0})";
            Console.Error.WriteLine($"  idle window {window:F1} s (from {settleSeconds} s after the 110th pod was Running): agent CPU {cpu:F2} s");
            Console.Error.WriteLine($"  agent memory: {string.Join(", ", memory.Select(kv => $"{kv.Key} {kv.Value}"))}");
            Console.Error.WriteLine($"  agent memory map (Rss): {PodStartupMemoryMap.Describe(agent.Id)}");
            Console.Error.WriteLine($"  agent's largest anonymous mappings (resident): {PodStartupMemoryMap.LargestAnonymous(agent.Id)}");
            if (agentKind.Name == "embedded")
            {
                await agent.StandardInput.WriteLineAsync("memory");
                await agent.StandardInput.FlushAsync();
                await Task.Delay(1000); // the agent prints its GC report on its stderr
            }

            await DeleteAllAsync(client);

            Console.WriteLine($"| {agentKind.Name} | {runtime} | {pods} | {running.PodsPerSecond:F1} | {running.P50:F0} ms | {running.P99:F0} ms | {ready.P50:F0} ms | {ready.P99:F0} ms | {idle} | {rss} |");
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
                await agent.WaitForExitAsync();
            }

            KillMarked(marker);
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<(double PodsPerSecond, double P50, double P99)> MeasureAsync(IKubeClient client, string prefix, int count, int batch, bool readiness, string marker)
    {
        var created = new ConcurrentDictionary<string, long>();
        var done = new ConcurrentDictionary<string, long>();
        using var cts = new CancellationTokenSource();
        var watching = new TaskCompletionSource();
        var watch = Task.Run(async () =>
        {
            try
            {
                var list = await client.ListAsync<V1Pod>("bench");
                await foreach (var e in client.WatchAsync<V1Pod>("bench", new ListOptions { ResourceVersion = list.ResourceVersion }, cts.Token).WithCancellation(cts.Token))
                {
                    watching.TrySetResult();
                    if (e.Object is not { } pod || !pod.Metadata.Name.StartsWith(prefix + "-", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var reached = readiness
                        ? pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true
                        : pod.Status?.Phase == "Running";
                    if (reached)
                    {
                        done.TryAdd(pod.Metadata.Name, Stopwatch.GetTimestamp());
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        await Task.Delay(200); // let the watch open before the first create
        var sw = Stopwatch.StartNew();
        for (var start = 0; start < count; start += batch)
        {
            var names = Enumerable.Range(start, Math.Min(batch, count - start)).Select(i => $"{prefix}-{i}").ToList();
            await Task.WhenAll(names.Select(async name =>
            {
                created[name] = Stopwatch.GetTimestamp();
                await client.CreateAsync(Pod(name, readiness, marker));
            }));
            await WaitAsync(() => Task.FromResult(names.All(done.ContainsKey)), TimeSpan.FromSeconds(120), $"batch at {start} ({prefix}) never got there");
        }

        var elapsed = sw.Elapsed.TotalSeconds;
        await cts.CancelAsync();
        await watch;
        var latencies = created.Select(kv => Stopwatch.GetElapsedTime(kv.Value, done[kv.Key]).TotalMilliseconds).Order().ToArray();
        double Pct(double p) => latencies[Math.Min(latencies.Length - 1, (int)(p * latencies.Length))];
        Console.Error.WriteLine($"  {prefix}: {count} pods in {elapsed:F1} s, p50 {Pct(0.5):F0} ms, p99 {Pct(0.99):F0} ms, max {latencies[^1]:F0} ms");
        return (count / elapsed, Pct(0.50), Pct(0.99));
    }

    private static V1Pod Pod(string name, bool readiness, string marker) => new()
    {
        ApiVersion = "v1", Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "bench" },
        Spec = new V1PodSpec
        {
            NodeName = "bench-node",
            TerminationGracePeriodSeconds = 0,
            Containers =
            [
                new V1Container
                {
                    Name = "main", Image = "busybox", Command = ["sleep", marker],
                    ReadinessProbe = readiness ? new V1Probe { Exec = new V1ExecAction { Command = ["true"] }, PeriodSeconds = 1 } : null,
                },
            ],
        },
    };

    private static async Task DeleteAllAsync(IKubeClient client)
    {
        var pods = await client.ListAsync<V1Pod>("bench");
        await Task.WhenAll(pods.Items.Select(p => client.DeleteAsync<V1Pod>(p.Metadata.Name, "bench", new DeleteOptions { GracePeriodSeconds = 0 })));
        await WaitAsync(async () => (await client.ListAsync<V1Pod>("bench")).Items.Count == 0, TimeSpan.FromSeconds(120), "pods were not deleted");
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (NotFoundException)
            {
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException(what);
            }

            await Task.Delay(10);
        }
    }

    /// <summary>utime + stime of a process from /proc, in seconds (USER_HZ 100).</summary>
    private static double CpuSeconds(int pid)
    {
        var text = File.ReadAllText($"/proc/{pid}/stat");
        var f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>VmRSS split as the kernel counts it (anonymous = GC heap, JIT code, native allocations; file = mapped assemblies and libraries; shmem = the JIT's double-mapped code), and threads.</summary>
    private static Dictionary<string, string> MemoryBreakdown(int pid)
    {
        var status = File.ReadLines($"/proc/{pid}/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());
        return new[] { "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmData", "Threads" }.Where(status.ContainsKey).ToDictionary(k => k, k => status[k]);
    }

    private static double Kib(Dictionary<string, string> memory, string key) =>
        memory.TryGetValue(key, out var v) ? long.Parse(v.Split(' ')[0], CultureInfo.InvariantCulture) : 0;

    private static void KillMarked(string marker)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(marker, StringComparison.Ordinal))
                {
                    Process.GetProcessById(pid).Kill();
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
            }
        }
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
