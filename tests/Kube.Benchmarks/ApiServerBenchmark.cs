using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Kube.ApiServer;
using Kube.Store;

namespace Kube.Benchmarks;

/// <summary>
/// The API server through KubernetesClient over real HTTP(S) (issue 4, "Speed"): pod creates/s and p50/p99 with 1 and
/// 32 clients, listing 10,000 pods (whole and in limit=500 chunks), and a watch fan-out (1,000 watchers on pods while
/// 100 pods/s are created: delivery lag p99, missed and duplicate events). Against <c>--kubeconfig FILE</c> (e.g.
/// <c>kube-host up</c>'s admin kubeconfig, HTTPS) or, without it, an in-process <see cref="KubeApiServer"/> over an
/// <see cref="EmbeddedStore"/> in a temporary directory (plain HTTP, no authentication). <c>--pods</c> says what the
/// pods are to a real cluster: <c>unscheduled</c> (default) carry a schedulerName no scheduler profile serves, so they
/// stay Pending untouched and the rows measure the API server alone, as upstream's apiserver load tests isolate the
/// control plane; <c>unschedulable</c> carry a nodeSelector no node matches, so the scheduler tries each one (status
/// update and FailedScheduling event); <c>running</c> have neither, so the cluster schedules and starts them. Every row
/// also gives the server process's CPU per operation (utime + stime from /proc of <c>--server-pid</c>, or of the process
/// listening on the kubeconfig's port; in-process that is the benchmark process itself, client included), a figure that
/// hardly moves with the load others put on the machine. <c>--only creates,lists,watch</c> (any of them, comma-separated;
/// default all) runs some of the rows.
/// </summary>
internal static class ApiServerBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var kubeconfig = StoreServer.Arg(args, "--kubeconfig");
        var creates = int.Parse(StoreServer.Arg(args, "--creates") ?? "2000", CultureInfo.InvariantCulture);
        var listPods = int.Parse(StoreServer.Arg(args, "--list-pods") ?? "10000", CultureInfo.InvariantCulture);
        var watchers = int.Parse(StoreServer.Arg(args, "--watchers") ?? "1000", CultureInfo.InvariantCulture);
        var rate = int.Parse(StoreServer.Arg(args, "--rate") ?? "100", CultureInfo.InvariantCulture);
        var watchSeconds = int.Parse(StoreServer.Arg(args, "--watch-seconds") ?? "10", CultureInfo.InvariantCulture);
        var warmup = int.Parse(StoreServer.Arg(args, "--warmup") ?? "500", CultureInfo.InvariantCulture);
        _podMode = StoreServer.Arg(args, "--pods") ?? "unscheduled";
        if (_podMode is not ("unscheduled" or "unschedulable" or "running"))
        {
            Console.Error.WriteLine("--pods must be unscheduled, unschedulable or running");
            return 2;
        }
        var only = (StoreServer.Arg(args, "--only") ?? "creates,lists,watch").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (only.Except(["creates", "lists", "watch"]).FirstOrDefault() is { } unknown)
        {
            Console.Error.WriteLine($"--only takes creates, lists and watch (comma-separated), not {unknown}");
            return 2;
        }
        var serverPid = StoreServer.Arg(args, "--server-pid") is { } pidText ? int.Parse(pidText, CultureInfo.InvariantCulture) : (int?)null;

        string? dir = null;
        EmbeddedStore? store = null;
        KubeApiServer? server = null;
        KubernetesClientConfiguration config;
        if (kubeconfig is null)
        {
            dir = Directory.CreateTempSubdirectory("kube-bench-apiserver-").FullName;
            store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dir });
            server = await KubeApiServer.StartAsync(new ApiServerOptions { Port = 0 }, store);
            config = new KubernetesClientConfiguration { Host = server.BaseAddress.ToString().TrimEnd('/') };
            Console.WriteLine($"target: in-process KubeApiServer at {server.BaseAddress} (HTTP), EmbeddedStore in {dir} (fsync on)");
        }
        else
        {
            config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
            Console.WriteLine($"target: {config.Host} from {kubeconfig}");
        }
        _server = ServerProcess.Find(serverPid, kubeconfig is null ? null : new Uri(config.Host));
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; load average {LoadAverage()}");
        Console.WriteLine($"pods: {_podMode} ({PodModeText()}); server CPU of {_server?.Describe() ?? "(not found: pass --server-pid)"}");
        var run = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        try
        {
            using var client = new Kubernetes(config);
            var ns = $"bench-{run}";
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });

            var created = 0;
            if (warmup > 0)
            {
                // Untimed: a server started just before the run still JIT-compiles its request path (tiered compilation).
                await CreatePodsAsync(config, ns, "warmup", 0, warmup, 32);
                created = warmup;
                Console.WriteLine($"(warm-up first: {warmup} pod creates with 32 clients, not timed)");
            }
            Console.WriteLine();
            Console.WriteLine("| row | ops | ops/s | p50 ms | p99 ms | max ms | server CPU ms/op | client CPU ms/op |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            var connectLines = new List<string>();
            foreach (var concurrency in only.Contains("creates") ? new[] { 1, 32 } : [])
            {
                var n = concurrency == 1 ? Math.Min(creates, 1000) : creates;
                var cpu = _server?.CpuSeconds();
                var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
                var (lat, elapsed) = await CreatePodsAsync(config, ns, $"c{concurrency}", created, n, concurrency);
                var clientMs = (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalMilliseconds / n;
                created += n;
                // The server's in-process watchers (watch cache, informers, controllers) may still be working through the
                // row's events when the last reply arrives: their CPU belongs to the row, so it is read once the server is
                // quiet again. The rows run one after another, so none is charged with another's backlog.
                if (_server is not null) await _server.SettleAsync();
                Row($"create pod, {concurrency} client{(concurrency == 1 ? "" : "s")}", lat, elapsed, CpuPerOp(cpu, n), clientMs);
                connectLines.Add($"create pod, {concurrency} client{(concurrency == 1 ? "" : "s")}: connection set-up and first GET (untimed) "
                    + $"p50 {P(LastConnectMs, 0.5):F1} ms, max {(LastConnectMs.Count == 0 ? 0 : LastConnectMs[^1]):F1} ms");
            }
            if (only.Contains("lists")) created = await ListRowsAsync(config, client, ns, created, listPods);
            if (only.Contains("watch")) await WatchFanOutAsync(config, client, $"bench-watch-{run}", watchers, rate, watchSeconds);
            if (connectLines.Count > 0) Console.WriteLine();
            foreach (var line in connectLines) Console.WriteLine(line);
            Console.WriteLine();
            Console.WriteLine($"load average at end {LoadAverage()}");
            return 0;
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
            if (store is not null) await store.DisposeAsync();
            if (dir is not null)
            {
                try
                {
                    Directory.Delete(dir, true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>Fills the namespace to <paramref name="listPods"/> pods, then lists them five times each way; returns the pod count.</summary>
    private static async Task<int> ListRowsAsync(KubernetesClientConfiguration config, Kubernetes client, string ns, int created, int listPods)
    {
        if (listPods > created)
        {
            Console.Error.WriteLine($"filling {ns} to {listPods} pods...");
            await CreatePodsAsync(config, ns, "fill", created, listPods - created, 32);
            created = listPods;
        }
        var full = new List<double>();
        var chunked = new List<double>();
        var raw = new List<double>();
        var listCpu = _server?.CpuSeconds();
        for (var i = 0; i < 5; i++)
        {
            // The same list read as bytes only (no V1Pod decoding in the benchmark process): closer to the server's own time.
            var rawWatch = Stopwatch.StartNew();
            using (var response = await client.HttpClient.GetAsync(new Uri(client.BaseUri, $"api/v1/namespaces/{ns}/pods")))
            {
                response.EnsureSuccessStatusCode();
                var bytes = await response.Content.ReadAsByteArrayAsync();
                if (bytes.Length < created) throw new InvalidOperationException("short list body");
            }
            raw.Add(rawWatch.Elapsed.TotalMilliseconds);
            var sw = Stopwatch.StartNew();
            var list = await client.CoreV1.ListNamespacedPodAsync(ns);
            full.Add(sw.Elapsed.TotalMilliseconds);
            if (list.Items.Count != created) throw new InvalidOperationException($"listed {list.Items.Count} pods, expected {created}");
            sw.Restart();
            var total = 0;
            string? next = null;
            do
            {
                var page = await client.CoreV1.ListNamespacedPodAsync(ns, limit: 500, continueParameter: next);
                total += page.Items.Count;
                next = string.IsNullOrEmpty(page.Metadata.ContinueProperty) ? null : page.Metadata.ContinueProperty;
            } while (next is not null);
            chunked.Add(sw.Elapsed.TotalMilliseconds);
            if (total != created) throw new InvalidOperationException($"listed {total} pods in chunks, expected {created}");
        }
        Row($"list {created} pods (whole)", full, null);
        Row($"list {created} pods (limit=500 chunks)", chunked, null);
        Row($"list {created} pods (whole, body read as bytes, not decoded)", raw, null, CpuPerOp(listCpu, 15));
        Console.WriteLine("(the lists' server CPU is per list, the average over all 15 of the three rows)");
        return created;
    }

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "bench" } },
        Spec = new V1PodSpec
        {
            SchedulerName = _podMode == "unscheduled" ? UnservedScheduler : null,
            NodeSelector = _podMode == "unschedulable" ? new Dictionary<string, string> { ["kube-bench"] = "no-such-node" } : null,
            Containers = [new V1Container { Name = "main", Image = "busybox:1", Command = ["sleep", "3600"] }],
        },
    };

    private static async Task<(List<double> Latencies, TimeSpan Elapsed)> CreatePodsAsync(KubernetesClientConfiguration config, string ns, string prefix,
        int offset, int count, int concurrency)
    {
        var latencies = new ConcurrentBag<double>();
        var next = -1;
        var clients = Enumerable.Range(0, concurrency).Select(_ => new Kubernetes(config)).ToList();
        // Each client opens its connection (TCP, TLS with its client certificate, HTTP/2) with one untimed GET before the
        // clock starts: the rows measure creates over open connections, as long-lived clients make them. The handshakes
        // would otherwise be 32 of the 32-client row's first requests, 1.6% of 2,000, and so its p99.
        var connect = new ConcurrentBag<double>();
        await Task.WhenAll(clients.Select(async c =>
        {
            var t = Stopwatch.GetTimestamp();
            await c.CoreV1.ReadNamespaceAsync(ns);
            connect.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }));
        LastConnectMs = connect.Order().ToList();
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select(async c =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var t = Stopwatch.GetTimestamp();
                await c.CoreV1.CreateNamespacedPodAsync(Pod($"{prefix}-{offset + i}"), ns);
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        }));
        var elapsed = sw.Elapsed;
        foreach (var c in clients) c.Dispose();
        return ([.. latencies], elapsed);
    }

    /// <summary>N watchers from the namespace's list revision; a writer creates pods at a fixed rate; each ADDED is matched to its send time.</summary>
    private static async Task WatchFanOutAsync(KubernetesClientConfiguration config, Kubernetes client, string ns, int watchers, int rate, int seconds)
    {
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        var rv = (await client.CoreV1.ListNamespacedPodAsync(ns)).Metadata.ResourceVersion;
        var expected = rate * seconds;
        var sent = new ConcurrentDictionary<string, long>();
        var lags = new ConcurrentBag<double>();
        var seen = Enumerable.Range(0, watchers).Select(_ => new ConcurrentDictionary<string, int>()).ToArray();
        var received = 0L;
        using var stop = new CancellationTokenSource();
        // A few HTTP clients carry the watches (each watch is one long-lived request).
        var watchClients = Enumerable.Range(0, Math.Max(1, watchers / 100)).Select(_ => new Kubernetes(config)).ToList();
        var started = 0;
        var tasks = Enumerable.Range(0, watchers).Select(w => Task.Run(async () =>
        {
            var c = watchClients[w % watchClients.Count];
            Interlocked.Increment(ref started);
            try
            {
                await foreach (var (type, pod) in c.CoreV1.WatchListNamespacedPodAsync(ns, resourceVersion: rv, timeoutSeconds: seconds + 120,
                    cancellationToken: stop.Token))
                {
                    if (type != WatchEventType.Added) continue;
                    var name = pod.Metadata.Name;
                    var now = Stopwatch.GetTimestamp();
                    if (seen[w].AddOrUpdate(name, 1, (_, n) => n + 1) == 1 && sent.TryGetValue(name, out var t))
                        lags.Add(Stopwatch.GetElapsedTime(t, now).TotalMilliseconds);
                    Interlocked.Increment(ref received);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
            {
            }
        })).ToList();
        while (Volatile.Read(ref started) < watchers) await Task.Delay(50);
        await Task.Delay(TimeSpan.FromSeconds(2)); // let the watch requests reach the server

        var writer = new Kubernetes(config);
        var cpu = _server?.CpuSeconds();
        using var outstanding = new SemaphoreSlim(64);
        var interval = TimeSpan.FromSeconds(1.0 / rate);
        var begin = Stopwatch.GetTimestamp();
        var writes = new List<Task>();
        for (var i = 0; i < expected; i++)
        {
            var due = begin + (long)(i * interval.TotalSeconds * Stopwatch.Frequency);
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > 0) await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
            var name = $"w-{i}";
            await outstanding.WaitAsync();
            sent[name] = Stopwatch.GetTimestamp();
            writes.Add(CreateWithRetryAsync(writer, Pod(name), ns, outstanding));
        }
        await Task.WhenAll(writes);
        var writeSeconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        while (Interlocked.Read(ref received) < (long)expected * watchers && Stopwatch.GetTimestamp() < deadline) await Task.Delay(100);
        var perEvent = CpuPerOp(cpu, Interlocked.Read(ref received));
        await stop.CancelAsync();
        await Task.WhenAll(tasks);
        foreach (var c in watchClients) c.Dispose();
        writer.Dispose();

        var missed = seen.Sum(s => expected - s.Count(kv => sent.ContainsKey(kv.Key)));
        var duplicates = seen.Sum(s => s.Values.Sum(n => n - 1));
        var sorted = lags.Order().ToList();
        Console.WriteLine($"| watch fan-out: {watchers} watchers, {expected} pods at {rate}/s (written in {writeSeconds:F1} s) | {sorted.Count} events | "
            + $"{sorted.Count / Math.Max(writeSeconds, 1):F0} | {P(sorted, 0.5):F1} | {P(sorted, 0.99):F1} | {(sorted.Count == 0 ? 0 : sorted[^1]):F1} | {Cpu(perEvent)} | - |");
        Console.WriteLine();
        Console.WriteLine($"watch fan-out: delivery lag p99 {P(sorted, 0.99):F1} ms; missed events {missed}; duplicate events {duplicates} (both must be 0); "
            + $"creates retried after 429: {_retried}; server CPU per delivered event {Cpu(perEvent * 1000)} µs (the {expected} creates included)");
    }

    /// <summary>A create as a well-behaved client sends it: on 429 it waits Retry-After (1 s) and tries again.</summary>
    private static async Task CreateWithRetryAsync(Kubernetes client, V1Pod pod, string ns, SemaphoreSlim outstanding)
    {
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await client.CoreV1.CreateNamespacedPodAsync(pod, ns);
                    return;
                }
                catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 429 && attempt < 30)
                {
                    Interlocked.Increment(ref _retried);
                    await Task.Delay(TimeSpan.FromSeconds(1));
                }
            }
        }
        finally
        {
            outstanding.Release();
        }
    }

    private static int _retried;

    /// <summary>The sorted latencies of the last <see cref="CreatePodsAsync"/>'s untimed first requests (connection set-up).</summary>
    private static List<double> LastConnectMs = [];
    private static string _podMode = "unscheduled";
    private static ServerProcess? _server;

    private static string PodModeText() => _podMode switch
    {
        "unscheduled" => $"schedulerName {UnservedScheduler}: no scheduler profile serves them, they stay Pending untouched",
        "unschedulable" => "nodeSelector no node matches: the scheduler tries each one and reports FailedScheduling",
        _ => "no selector: the cluster schedules them and its node runs them",
    };

    private const string UnservedScheduler = "kube-bench-no-such-scheduler";

    /// <summary>Server CPU ms per operation since <paramref name="before"/> (seconds), or NaN when it is not measured.</summary>
    private static double CpuPerOp(double? before, long operations) =>
        before is { } b && _server?.CpuSeconds() is { } a && operations > 0 ? (a - b) * 1000 / operations : double.NaN;

    private static string Cpu(double ms) => double.IsNaN(ms) ? "-" : ms.ToString("F2", CultureInfo.InvariantCulture);

    private static void Row(string name, List<double> latencies, TimeSpan? elapsed, double cpuMsPerOp = double.NaN, double clientCpuMsPerOp = double.NaN)
    {
        var sorted = latencies.Order().ToList();
        var opsPerSecond = elapsed is { } e ? (sorted.Count / e.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture) : "-";
        Console.WriteLine($"| {name} | {sorted.Count} | {opsPerSecond} | {P(sorted, 0.5):F1} | {P(sorted, 0.99):F1} | {sorted[^1]:F1} | {Cpu(cpuMsPerOp)} | {Cpu(clientCpuMsPerOp)} |");
    }

    private static double P(List<double> sorted, double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}

/// <summary>The API server's process, whose utime + stime (/proc/PID/stat) the benchmark reads around each row.</summary>
internal sealed class ServerProcess(int pid, string how)
{
    public string Describe() => $"pid {pid} ({how})";

    public double? CpuSeconds()
    {
        try
        {
            // Fields after the command name (which ends at the last ')'): state is field 3, utime 14, stime 15, in USER_HZ (100) ticks.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Waits until the process uses less than 5 % of a core over 250 ms (its idle rate: timers, leases, node status), at
    /// most 10 s.
    /// </summary>
    public async Task SettleAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var last = CpuSeconds();
        while (last is { } before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            last = CpuSeconds();
            if (last - before < 0.0125) return;
        }
    }

    /// <summary><paramref name="pid"/> if given; else the process listening on <paramref name="target"/>'s loopback port; else this one (in-process).</summary>
    public static ServerProcess? Find(int? pid, Uri? target)
    {
        if (pid is { } p) return new ServerProcess(p, "--server-pid");
        if (target is null) return new ServerProcess(Environment.ProcessId, "this benchmark process: server and clients");
        if (!OperatingSystem.IsLinux()) return null;
        // /proc/net/tcp{,6}: the socket inode of a LISTEN (0A) entry on the port, then the process holding that inode.
        var inodes = new HashSet<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && f[3] == "0A" && int.Parse(f[1][(f[1].IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == target.Port)
                    inodes.Add($"socket:[{f[9]}]");
            }
        }
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var candidate)) continue;
            try
            {
                foreach (var fd in Directory.EnumerateFiles(Path.Combine(dir, "fd")))
                {
                    if (new FileInfo(fd).LinkTarget is { } link && inodes.Contains(link))
                        return new ServerProcess(candidate, $"listening on port {target.Port}");
                }
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
            }
        }
        return null;
    }
}
