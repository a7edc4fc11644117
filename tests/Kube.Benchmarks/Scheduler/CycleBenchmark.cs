using System.Diagnostics;
using System.Globalization;
using Kube.ApiServer;
using Kube.Core.Admission;
using Kube.Scheduling;
using Kube.Scheduling.Framework;
using Kube.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Benchmarks.Scheduler;

/// <summary>
/// kube-benchmarks scheduler --cycles N [--scale F]: the scheduling cycle alone, without API writes: N default pods are
/// scheduled one after another by the default profile over SchedulingBasic's nodes (5,000 × scale) and assumed on the
/// chosen node, as the scheduling loop does. Prints CPU time and allocated bytes per cycle (the process is otherwise idle).
/// </summary>
internal static class CycleBenchmark
{
    /// <summary>The calling thread's time on a CPU (first field of /proc/thread-self/schedstat, ns); 0 where there is no such file.</summary>
    private static long ThreadCpuNanoseconds()
    {
        try
        {
            return long.Parse(File.ReadAllText("/proc/thread-self/schedstat").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Allocated bytes and time of each extension point of one cycle, and of each Filter and Score plugin over the nodes a cycle visits.</summary>
    private static void Breakdown(SchedulingFramework fwk, k8s.Models.V1Pod template, NodeInfoSnapshot nodes)
    {
        var pod = SchedulerBenchmark.Pod("breakdown", PodShape.Default);
        pod.Metadata.Uid = Guid.NewGuid().ToString();
        var want = SchedulingAlgorithm.NumFeasibleNodesToFind(nodes.Count, null);
        var visited = nodes.Take(want).ToList();
        void Measure(string what, Action run)
        {
            run();
            var a = GC.GetAllocatedBytesForCurrentThread();
            var t = Stopwatch.GetTimestamp();
            const int reps = 20;
            for (var i = 0; i < reps; i++) run();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {what,-40} {Stopwatch.GetElapsedTime(t).TotalMicroseconds / reps,8:F0} µs {(GC.GetAllocatedBytesForCurrentThread() - a) / reps / 1024.0,8:F1} KB"));
        }

        var state = new CycleState();
        fwk.RunPreFilter(state, pod, nodes);
        Measure("PreFilter (all)", () => fwk.RunPreFilter(new CycleState(), pod, nodes));
        foreach (var p in fwk.Plugins.OfType<IPreFilterPlugin>()) Measure("PreFilter " + p.Name, () => p.PreFilter(new CycleState(), pod, nodes));
        Measure($"Filter (all) x{visited.Count}", () => { foreach (var n in visited) fwk.RunFilter(state, pod, n); });
        foreach (var p in fwk.Plugins.OfType<IFilterPlugin>()) Measure($"Filter {p.Name} x{visited.Count}", () => { foreach (var n in visited) p.Filter(state, pod, n); });
        Measure("PreScore (all)", () => fwk.RunPreScore(state, pod, visited));
        foreach (var p in fwk.Plugins.OfType<IScorePlugin>())
            Measure($"Score+Normalize {p.Name} x{visited.Count}", () => p.NormalizeScore(state, pod, visited.Select(n => new NodeScore(n.Name, p.Score(state, pod, n).Score)).ToList()));
        Measure("RunScore (all)", () => fwk.RunScore(state, pod, visited));
        _ = template;
    }

    public static Task<int> RunAsync(int cycles, int nodes) => WithSchedulerAsync(nodes, scheduler =>
    {
        var fwk = scheduler.Profiles["default-scheduler"];
        var pods = Enumerable.Range(0, cycles + 200).Select(i =>
        {
            var p = SchedulerBenchmark.Pod($"c-{i}", PodShape.Default);
            p.Metadata.Uid = Guid.NewGuid().ToString();
            return p;
        }).ToArray();
        long cpu0 = 0, alloc0 = 0, thread0 = 0;
        for (var i = 0; i < pods.Length; i++)
        {
            if (i == 200)
            {
                // The first 200 cycles warm up the JIT.
                cpu0 = (long)Environment.CpuUsage.TotalTime.TotalMicroseconds;
                thread0 = ThreadCpuNanoseconds();
                alloc0 = GC.GetAllocatedBytesForCurrentThread();
            }

            var result = scheduler.Algorithm.Schedule(fwk, new CycleState(), pods[i], scheduler.Cache.Snapshot());
            scheduler.Cache.AssumePod(pods[i], result.SuggestedHost ?? throw new InvalidOperationException(result.FailureMessage));
        }

        var cpu = (long)Environment.CpuUsage.TotalTime.TotalMicroseconds - cpu0;
        var thread = (ThreadCpuNanoseconds() - thread0) / 1000;
        var alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scheduling cycle over {nodes} nodes, {cycles} cycles: {thread / (double)cycles:F0} CPU-µs/cycle (this thread, /proc/thread-self/schedstat), {cpu / (double)cycles:F0} CPU-µs/cycle (process), {alloc / (double)cycles / 1024:F1} KB allocated/cycle (this thread)"));
        Breakdown(fwk, pods[^1], scheduler.Cache.Snapshot());
    });

    /// <summary>
    /// Runs <paramref name="body"/> against a started scheduler (default profile, seed 1) whose cache holds
    /// <paramref name="nodes"/> of the benchmark's nodes, over a fresh in-process API server; nothing else runs meanwhile.
    /// </summary>
    internal static async Task<int> WithSchedulerAsync(int nodes, Action<KubeScheduler> body)
    {
        var dir = Path.Combine(Path.GetTempPath(), "kube-bench-scheduler", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        try
        {
            await using var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dir });
            await using var server = await KubeApiServer.StartAsync(new ApiServerOptions { Port = 0 }, store);
            var client = server.CreateClient(UserInfo.Admin);
            var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.SetMinimumLevel(LogLevel.Error);
            builder.Services.AddSingleton(client);
            builder.Services.AddKubeScheduler(o => o.Seed = 1);
            using var host = builder.Build();
            for (var i = 0; i < nodes; i++) await client.CreateAsync(SchedulerBenchmark.Node(i));
            await host.StartAsync();
            var scheduler = host.Services.GetRequiredService<KubeScheduler>();
            await scheduler.Started.WaitAsync(TimeSpan.FromSeconds(60));
            while (scheduler.Cache.NodeCount < nodes) await Task.Delay(50);
            body(scheduler);
            await host.StopAsync(TimeSpan.FromSeconds(10));
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
