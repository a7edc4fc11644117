using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using k8s.Models;
using Kube.ApiServer;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Scheduling;
using Kube.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Benchmarks.Scheduler;

/// <summary>
/// kube-benchmarks scheduler [--scale F] [--timeout-seconds N] [--only NAME] [--events off] [--async-preemption off] [--pop-from-backoff off] [--gc server|server-nodatas|workstation]: scheduler_perf-like workloads against an
/// in-process API server over an EmbeddedStore, with nodes created as API objects (no agents). For each workload: a
/// fresh cluster, the nodes, the init pods (not measured), then the measured pods created by 8 concurrent clients.
/// pods/s is upstream's SchedulingThroughput average (see <see cref="ThroughputCollector"/>); also printed: measured pods
/// / time from the first create until all are bound, attempt latency from scheduler_scheduling_attempt_duration_seconds,
/// and the whole process's CPU time and allocated bytes during the measured phase divided by the measured pods bound.
/// </summary>
internal static class SchedulerBenchmark
{
    private const string Zone = "topology.kubernetes.io/zone";

    public static async Task<int> RunAsync(string[] args)
    {
        if (await GcMode.RunInChildIfNeededAsync(Arg(args, "--gc") ?? "server", args) is { } exitCode) return exitCode;
        var scale = double.Parse(Arg(args, "--scale") ?? "1", CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromSeconds(int.Parse(Arg(args, "--timeout-seconds") ?? "180", CultureInfo.InvariantCulture));
        var only = Arg(args, "--only");
        var events = Arg(args, "--events") != "off";
        var asyncPreemption = Arg(args, "--async-preemption") != "off";
        var popFromBackoff = Arg(args, "--pop-from-backoff") != "off";
        if (Arg(args, "--cycles") is { } cycles) return await CycleBenchmark.RunAsync(int.Parse(cycles, CultureInfo.InvariantCulture), (int)(5000 * scale));
        if (Arg(args, "--preemption-cycles") is { } preemptions) return await PreemptionCycleBenchmark.RunAsync(int.Parse(preemptions, CultureInfo.InvariantCulture), (int)(500 * scale));
        int S(int n) => Math.Max(1, (int)(n * scale));
        var workloads = new[]
        {
            new SchedulerWorkload("SchedulingBasic", S(5000), S(1000), S(10000), 270, PodShape.Default, PodShape.Default),
            new SchedulerWorkload("TopologySpreading", S(1000), S(1000), S(1000), 85, PodShape.Default, PodShape.ZoneSpread),
            new SchedulerWorkload("PreferredTopologySpreading", S(1000), S(1000), S(1000), 125, PodShape.Default, PodShape.PreferredZoneSpread),
            new SchedulerWorkload("Unschedulable", S(500), S(200), S(1000), 140, PodShape.Unschedulable, PodShape.Default),
            new SchedulerWorkload("PreemptionBasic", S(500), S(2000), S(500), 18, PodShape.LowPriority, PodShape.HighPriority),
        };
        Console.WriteLine($"scheduler benchmark, scale {scale.ToString(CultureInfo.InvariantCulture)}, {Environment.ProcessorCount} cores, timeout {timeout.TotalSeconds} s per workload, events {(events ? "on" : "off")}, async preemption {(asyncPreemption ? "on" : "off")}, pop from backoffQ {(popFromBackoff ? "on" : "off")}, {GcMode.Describe()}");
        Console.WriteLine("pods/s = upstream scheduler_perf SchedulingThroughput Average: per-second samples of newly scheduled measured pods (first sample = baseline, empty seconds merged into the next sample), averaged; "
            + "first->all = measured pods / time from first create to all bound; CPU-ms and KB per pod = whole process (API server, store, scheduler, clients) during the measured phase / measured pods bound");
        Console.WriteLine("| Workload | Nodes | Init pods | Measured pods | pods/s | samples (p50) | first->all pods/s | p50 attempt (ms) | p99 attempt (ms) | CPU-ms/pod | KB alloc/pod | Upstream floor | ×floor | Target 10× |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var w in workloads)
        {
            if (only is not null && !w.Name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
            var r = await RunWorkloadAsync(w, timeout, o =>
            {
                o.RecordEvents = events;
                o.AsyncPreemption = asyncPreemption;
                o.PopFromBackoffQ = popFromBackoff;
            });
            // Upstream reports no SchedulingThroughput when no sample was taken (all measured pods were scheduled within one
            // sampling second of the first); the row then says so and compares first->all with the floor instead.
            var measured = r.Samples > 0;
            var ratio = (measured ? r.Throughput : r.EndToEnd) / w.UpstreamFloor;
            var throughput = measured ? r.Throughput.ToString("F0", CultureInfo.InvariantCulture) : "n/a (no sample)";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {w.Name} | {w.Nodes} | {w.InitPods} | {r.Bound}/{w.MeasuredPods}{(r.TimedOut ? " (timed out)" : "")} | {throughput} | {r.Samples} ({r.ThroughputP50:F0}) | {r.EndToEnd:F0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.CpuMsPerPod:F2} | {r.KbPerPod:F0} | {w.UpstreamFloor} | {ratio:F1}×{(measured ? "" : " (first->all)")} | {(ratio >= 10 ? "met" : "below")} |"));
        }

        return 0;
    }

    private sealed record Result(int Bound, double Throughput, double ThroughputP50, int Samples, double EndToEnd, double P50Ms, double P99Ms, double CpuMsPerPod, double KbPerPod, bool TimedOut);

    private static async Task<Result> RunWorkloadAsync(SchedulerWorkload w, TimeSpan timeout, Action<Kube.Scheduling.Framework.SchedulerOptions> configure)
    {
        var dir = Path.Combine(Path.GetTempPath(), "kube-bench-scheduler", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var latencies = new ConcurrentBag<double>();
        var measuring = false;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (inst, l) =>
        {
            if (inst.Meter.Name == "Kube.Scheduling" && inst.Name == "scheduler_scheduling_attempt_duration_seconds") l.EnableMeasurementEvents(inst);
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            if (Volatile.Read(ref measuring)) latencies.Add(value);
        });
        listener.Start();

        await using var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dir });
        await using var server = await KubeApiServer.StartAsync(new ApiServerOptions { Port = 0 }, store);
        var client = server.CreateClient(UserInfo.Admin);
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        builder.Services.AddSingleton(client);
        builder.Services.AddKubeScheduler(o =>
        {
            o.Seed = 1;
            configure(o);
        });
        using var host = builder.Build();
        try
        {
            var progress = Stopwatch.StartNew();
            await ParallelCreateAsync(w.Nodes, i => client.CreateAsync(Node(i)));
            Console.Error.WriteLine($"  {w.Name}: {w.Nodes} nodes created in {progress.Elapsed.TotalSeconds:F1} s");
            await host.StartAsync();
            await host.Services.GetRequiredService<KubeScheduler>().Started.WaitAsync(TimeSpan.FromSeconds(60));

            await ParallelCreateAsync(w.InitPods, i => client.CreateAsync(Pod($"init-{i}", w.InitShape)));
            if (w.InitShape != PodShape.Unschedulable)
                await WaitBoundAsync(host, "init-", w.InitPods, timeout);
            Console.Error.WriteLine($"  {w.Name}: {w.InitPods} init pods done at {progress.Elapsed.TotalSeconds:F1} s");

            // Victims need no kubelet: the low-priority pods have terminationGracePeriodSeconds 0 (upstream's template), so
            // preemption's delete removes them at once.
            var pods = host.Services.GetRequiredService<Kube.Core.Informers.ISharedInformerFactory>().GetInformer<V1Pod>();
            using var collector = new ThroughputCollector(pods, "m-");
            using var sampling = new CancellationTokenSource();
            var sampler = collector.RunAsync(sampling.Token);
            var trace = Environment.GetEnvironmentVariable("KUBE_BENCH_TRACE") == "1" ? TraceAsync(host, pods, sampling.Token) : Task.CompletedTask;
            Volatile.Write(ref measuring, true);
            var cpu0 = Environment.CpuUsage.TotalTime;
            var alloc0 = GC.GetTotalAllocatedBytes();
            var gc0 = GcCounts();
            var sw = Stopwatch.StartNew();
            var startTimestamp = Stopwatch.GetTimestamp();
            await ParallelCreateAsync(w.MeasuredPods, i => client.CreateAsync(Pod($"m-{i}", w.MeasuredShape)));
            Console.Error.WriteLine($"  {w.Name}: {w.MeasuredPods} measured pods created in {sw.Elapsed.TotalSeconds:F1} s");
            var timedOut = !await WaitAsync(() => collector.Scheduled >= w.MeasuredPods, timeout);
            var elapsed = sw.Elapsed.TotalSeconds;
            var cpu = (Environment.CpuUsage.TotalTime - cpu0).TotalMilliseconds;
            var alloc = GC.GetTotalAllocatedBytes() - alloc0;
            var gc = GcCounts();
            Volatile.Write(ref measuring, false);
            await sampling.CancelAsync();
            await sampler;
            await trace;
            var bound = collector.Scheduled;
            var (average, p50, samples) = collector.Result();
            var sorted = latencies.OrderBy(x => x).ToArray();
            double Pct(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))] * 1000;
            Console.Error.WriteLine($"  {w.Name}: {bound} measured pods bound in {elapsed:F1} s ({sorted.Length} attempts, {cpu:F0} CPU-ms, {alloc / 1048576.0:F0} MiB allocated; GCs gen0/1/2 {gc.Gen0 - gc0.Gen0}/{gc.Gen1 - gc0.Gen1}/{gc.Gen2 - gc0.Gen2}, paused {(gc.Paused - gc0.Paused).TotalMilliseconds:F0} ms)");
            Console.Error.WriteLine($"  {w.Name}: {collector.Timeline(startTimestamp)}");
            var n = Math.Max(1, bound);
            return new Result(bound, average, p50, samples, bound / elapsed, Pct(0.50), Pct(0.99), cpu / n, alloc / 1024.0 / n, timedOut);
        }
        finally
        {
            await host.StopAsync(TimeSpan.FromSeconds(10));
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Collections per generation so far (a gen1 collection also counts as gen0) and the total GC pause time.</summary>
    private static (int Gen0, int Gen1, int Gen2, TimeSpan Paused) GcCounts() =>
        (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

    /// <summary>Every 250 ms: the queue's parts and what the scheduler's pod informer shows (KUBE_BENCH_TRACE=1, for diagnosis).</summary>
    private static async Task TraceAsync(IHost host, Kube.Core.Informers.IInformer<V1Pod> pods, CancellationToken ct)
    {
        var q = host.Services.GetRequiredService<KubeScheduler>().Queue;
        var sw = Stopwatch.StartNew();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var all = pods.Cache.List();
                var measured = all.Count(p => p.Metadata.Name.StartsWith("m-", StringComparison.Ordinal));
                var bound = all.Count(p => p.Metadata.Name.StartsWith("m-", StringComparison.Ordinal) && !string.IsNullOrEmpty(p.Spec.NodeName));
                var nominated = all.Count(p => !string.IsNullOrEmpty(p.Status?.NominatedNodeName));
                var init = all.Count(p => p.Metadata.Name.StartsWith("init-", StringComparison.Ordinal));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {sw.Elapsed.TotalSeconds,5:F2}s informer: measured {measured} bound {bound} nominated {nominated} init {init}; queue active {q.ActiveCount} backoff {q.BackoffCount} unschedulable {q.UnschedulableCount}"));
                await Task.Delay(250, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Counts bound pods in the scheduler's own pod informer cache (no API calls), every 100 ms.</summary>
    private static Task<bool> WaitBoundAsync(IHost host, string prefix, int expected, TimeSpan timeout)
    {
        var pods = host.Services.GetRequiredService<Kube.Core.Informers.ISharedInformerFactory>().GetInformer<V1Pod>();
        return WaitAsync(() => pods.Cache.List().Count(p => p.Metadata.Name.StartsWith(prefix, StringComparison.Ordinal) && !string.IsNullOrEmpty(p.Spec.NodeName)) >= expected, timeout);
    }

    private static async Task<bool> WaitAsync(Func<bool> done, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (done()) return true;
            await Task.Delay(100);
        }

        return done();
    }

    private static async Task ParallelCreateAsync(int count, Func<int, Task> create)
    {
        var next = -1;
        var workers = Enumerable.Range(0, 8).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count) await create(i);
        });
        await Task.WhenAll(workers);
    }

    internal static V1Node Node(int i) => new()
    {
        ApiVersion = "v1",
        Kind = "Node",
        Metadata = new V1ObjectMeta
        {
            Name = $"node-{i}",
            Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = $"node-{i}", [Zone] = $"zone-{i % 3}" },
        },
        Status = new V1NodeStatus
        {
            Capacity = Quantities("4", "32Gi", "110"),
            Allocatable = Quantities("4", "32Gi", "110"),
            Conditions = [new V1NodeCondition { Type = "Ready", Status = "True" }],
        },
    };

    private static Dictionary<string, ResourceQuantity> Quantities(string cpu, string memory, string pods) =>
        new() { ["cpu"] = new ResourceQuantity(cpu), ["memory"] = new ResourceQuantity(memory), ["pods"] = new ResourceQuantity(pods) };

    internal static V1Pod Pod(string name, PodShape shape)
    {
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = shape is PodShape.ZoneSpread or PodShape.PreferredZoneSpread ? "spread" : "basic" } },
            Spec = new V1PodSpec
            {
                Containers =
                [
                    new V1Container
                    {
                        Name = "c",
                        Image = "registry.k8s.io/pause:3.10",
                        Resources = new V1ResourceRequirements
                        {
                            Requests = new Dictionary<string, ResourceQuantity>
                            {
                                ["cpu"] = new(shape switch { PodShape.Unschedulable => "9", PodShape.LowPriority => "900m", PodShape.HighPriority => "3000m", _ => "100m" }),
                                ["memory"] = new("500Mi"),
                            },
                        },
                    },
                ],
            },
        };
        if (shape is PodShape.LowPriority or PodShape.HighPriority) pod.Spec.Priority = shape == PodShape.LowPriority ? 1 : 1000;
        if (shape == PodShape.LowPriority) pod.Spec.TerminationGracePeriodSeconds = 0;
        if (shape is PodShape.ZoneSpread or PodShape.PreferredZoneSpread)
        {
            pod.Spec.TopologySpreadConstraints =
            [
                new V1TopologySpreadConstraint
                {
                    MaxSkew = 1,
                    TopologyKey = Zone,
                    WhenUnsatisfiable = shape == PodShape.ZoneSpread ? "DoNotSchedule" : "ScheduleAnyway",
                    LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "spread" } },
                },
            ];
        }

        return pod;
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
