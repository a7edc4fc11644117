using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Benchmarks;

/// <summary>
/// The issue's store benchmark: a real etcd (started by this run) and our store member (a separate <c>serve</c> process),
/// each with a fresh data dir and fsync on, driven by the same gRPC client code with the same workloads. Rows alternate
/// between the two targets so that both see the same machine load. Prints a markdown table with ops/s, p50, p99 and the
/// ratio ours/etcd; asserts nothing. Every load loop is bounded by time (<c>--seconds</c>) and count (<c>--max-ops</c>).
/// </summary>
internal static class StoreBenchmark
{
    private static readonly ByteString Value256 = UnsafeByteOperations.UnsafeWrap(new byte[256]);

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = double.Parse(StoreServer.Arg(args, "--seconds") ?? "5", CultureInfo.InvariantCulture);
        var maxOps = int.Parse(StoreServer.Arg(args, "--max-ops") ?? "500000", CultureInfo.InvariantCulture);
        var watchers = int.Parse(StoreServer.Arg(args, "--watchers") ?? "1000", CultureInfo.InvariantCulture);
        var only = StoreServer.Arg(args, "--only");
        var gcServer = StoreServer.Arg(args, "--gc-server") ?? "1";
        Target.LogDir = StoreServer.Arg(args, "--log-dir");
        var duration = TimeSpan.FromSeconds(seconds);
        var warmup = TimeSpan.FromSeconds(double.Parse(StoreServer.Arg(args, "--warmup") ?? Math.Min(2, seconds).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        var root = Path.Combine(Path.GetTempPath(), "kube-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Console.WriteLine($"store benchmark: {seconds}s per row (after {warmup.TotalSeconds}s warm-up), at most {maxOps} ops per row, data under {root}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {CpuModel()}; load average at start: {LoadAverage()}");
        var rows = new List<(string Name, Result? Etcd, Result Ours)>();
        var sizes = (StoreServer.Arg(args, "--members") ?? "1,3").Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        try
        {
            foreach (var members in sizes)
            {
                await using var ours = members == 1
                    ? await Target.StartOursAsync(Path.Combine(root, "kube-store"), gcServer)
                    : await Target.StartOursClusterAsync(Path.Combine(root, $"kube-store-{members}"), gcServer, members);
                await using var etcd = members == 1
                    ? await Target.StartEtcdAsync(Path.Combine(root, "etcd"))
                    : await Target.StartEtcdClusterAsync(Path.Combine(root, $"etcd-{members}"), members);
                Console.WriteLine($"targets ({members} member{(members == 1 ? "" : "s")}): ours = {ours.Name} at {ours.Address}; etcd = {(etcd is null ? "not installed (apt-get install -y etcd-server): ratios omitted" : etcd.Name + " at " + etcd.Address)}");
                var prefix = members == 1 ? "" : $"{members} members: ";
                var workloads = new List<(string Name, Func<Target, Task<Result>> Run)>
                {
                    (prefix + "put, 1 client, 256 B", t => Load(t, 1, warmup, duration, maxOps, (c, i) => Put(t, c, i))),
                    (prefix + "put, 16 clients, 256 B", t => Load(t, 16, warmup, duration, maxOps, (c, i) => Put(t, c, i))),
                    (prefix + "put, 64 clients, 256 B", t => Load(t, 64, warmup, duration, maxOps, (c, i) => Put(t, c, i))),
                    (prefix + "range (linearizable), 64 clients", t => Load(t, 64, warmup, duration, maxOps, (c, i) => Range(t, c, i, serializable: false))),
                    (prefix + "range (serializable), 64 clients", t => Load(t, 64, warmup, duration, maxOps, (c, i) => Range(t, c, i, serializable: true))),
                };
                if (members == 1)
                {
                    workloads.Add(($"watch fan-out, {watchers:N0} watchers, 1 writer", t => WatchFanOut(t, watchers, duration, maxOps)));
                }
                foreach (var t in new[] { ours, etcd })
                {
                    if (t is not null)
                    {
                        await Populate(t);
                        // Warm both targets up on every kind of request first (our member's JIT tiers up; etcd's caches fill).
                        await RunLoops(16, warmup, maxOps, (c, i) => i % 2 == 0 ? Put(t, c, i) : Range(t, c, i, serializable: false), record: false);
                        await WatchFanOut(t, 100, warmup, maxOps);
                    }
                }
                for (var w = 0; w < workloads.Count; w++)
                {
                    var (name, run) = workloads[w];
                    if (only is not null && !name.Contains(only, StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }
                    Result? etcdResult = null;
                    Result oursResult;
                    // Alternate which target goes first, so neither always runs in the other's wake.
                    if (w % 2 == 0 || etcd is null)
                    {
                        oursResult = await run(ours);
                        etcdResult = etcd is null ? null : await run(etcd);
                    }
                    else
                    {
                        etcdResult = await run(etcd);
                        oursResult = await run(ours);
                    }
                    rows.Add((name, etcdResult, oursResult));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {name}: ours {oursResult.OpsPerSecond:F0}/s (p50 {oursResult.P50:F2} ms, p99 {oursResult.P99:F2} ms, {oursResult.Errors} errors, {oursResult.Cpu}); " +
                        $"etcd {etcdResult?.OpsPerSecond:F0}/s (p50 {etcdResult?.P50:F2} ms, p99 {etcdResult?.P99:F2} ms, {etcdResult?.Errors} errors, {etcdResult?.Cpu}); load {LoadAverage()}"));
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        Console.WriteLine();
        Console.WriteLine($"load average at end: {LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine("| workload | etcd ops/s | etcd p50 ms | etcd p99 ms | ours ops/s | ours p50 ms | ours p99 ms | ratio ours/etcd |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, e, o) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {(e is null ? "-" : e.OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture))} | {e?.P50:F2} | {e?.P99:F2} | " +
                $"{o.OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture)} | {o.P50:F2} | {o.P99:F2} | {(e is null || e.OpsPerSecond == 0 ? "-" : (o.OpsPerSecond / e.OpsPerSecond).ToString("F2", CultureInfo.InvariantCulture))} |"));
        }
        return 0;
    }

    private sealed record Result(double OpsPerSecond, double P50, double P99, long Errors)
    {
        /// <summary>CPU time (utime + stime) per completed request of each process of the target over the measured window, in µs; the leader first.</summary>
        public IReadOnlyList<double> CpuMicrosPerOp { get; init; } = [];

        /// <summary>The same for the benchmark process itself (the client side of every target), then its JIT thread.</summary>
        public IReadOnlyList<double> ClientCpuMicrosPerOp { get; init; } = [];

        /// <summary>The same for every other store process this run started and still runs (the other target, idle meanwhile).</summary>
        public IReadOnlyList<double> OthersCpuMicrosPerOp { get; init; } = [];

        /// <summary>Threads of each process of the target (the leader first), then of the benchmark process, at the window's end.</summary>
        public IReadOnlyList<int> Threads { get; init; } = [];

        public long Completed { get; init; }

        /// <summary>The measured window in UTC (to match the members' per-second GC lines kept with --log-dir).</summary>
        public string Window { get; init; } = "";

        public string Cpu => CpuMicrosPerOp.Count == 0 ? "" : Window + "cpu µs/op " + Join(CpuMicrosPerOp.Take(CpuMicrosPerOp.Count / 2)) + " (jit " + Join(CpuMicrosPerOp.Skip(CpuMicrosPerOp.Count / 2)) + ")"
            + (ClientCpuMicrosPerOp.Count == 0 ? "" : ", client " + Join(ClientCpuMicrosPerOp.Take(1)) + " (jit " + Join(ClientCpuMicrosPerOp.Skip(1)) + ")")
            + (OthersCpuMicrosPerOp.Count == 0 ? "" : ", other target " + Join(OthersCpuMicrosPerOp))
            + (Threads.Count == 0 ? "" : ", threads " + string.Join('/', Threads.SkipLast(1)) + " (client " + Threads[^1] + ")");

        private static string Join(IEnumerable<double> values) => string.Join('/', values.Select(x => x.ToString(x < 10 ? "F2" : "F0", CultureInfo.InvariantCulture)));
    }

    private static Task Put(Target t, int client, int i) =>
        t.Kv.PutAsync(new V3.PutRequest { Key = UnsafeByteOperations.UnsafeWrap(Key(client, i)), Value = Value256 }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync;

    private static Task Range(Target t, int client, int i, bool serializable) =>
        t.Kv.RangeAsync(new V3.RangeRequest { Key = UnsafeByteOperations.UnsafeWrap(RangeKey((client * 31 + i) % 100)), Serializable = serializable },
            deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync;

    private static async Task Populate(Target t)
    {
        for (var i = 0; i < 100; i++)
        {
            await t.Kv.PutAsync(new V3.PutRequest { Key = UnsafeByteOperations.UnsafeWrap(RangeKey(i)), Value = Value256 });
        }
    }

    private static byte[] Key(int client, int i) => System.Text.Encoding.ASCII.GetBytes($"/bench/{client:D3}/{i % 1000:D6}");

    private static byte[] RangeKey(int i) => System.Text.Encoding.ASCII.GetBytes($"/bench/range/{i:D3}");

    /// <summary>Runs <paramref name="clients"/> closed loops: a warm-up (not recorded), then the measured window.</summary>
    private static async Task<Result> Load(Target t, int clients, TimeSpan warmup, TimeSpan duration, int maxOps, Func<int, int, Task> op)
    {
        await RunLoops(clients, warmup, maxOps, op, record: false);
        var cpu = t.CpuTime();
        var client = ProcessCpu.Self();
        var others = t.OthersCpuTime();
        var from = DateTime.UtcNow;
        var result = await RunLoops(clients, duration, maxOps, op, record: true);
        return result with
        {
            CpuMicrosPerOp = ProcessCpu.PerOp(cpu, t.CpuTime(), result.Completed),
            ClientCpuMicrosPerOp = ProcessCpu.PerOp(client, ProcessCpu.Self(), result.Completed),
            OthersCpuMicrosPerOp = ProcessCpu.PerOp(others, t.OthersCpuTime(), result.Completed),
            Threads = t.Threads(),
            Window = string.Create(CultureInfo.InvariantCulture, $"{from:HH:mm:ss}-{DateTime.UtcNow:HH:mm:ss}, "),
        };
    }

    private static async Task<Result> RunLoops(int clients, TimeSpan duration, int maxOps, Func<int, int, Task> op, bool record)
    {
        var latencies = new List<double>[clients];
        long errors = 0;
        var perClient = Math.Max(1, maxOps / clients);
        var stop = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = new List<double>(4096);
            for (var i = 0; i < perClient && stop.Elapsed < duration; i++)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await op(c, i);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }
                if (record)
                {
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
        })));
        var elapsed = stop.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(x => x).Order().ToArray();
        return new Result(all.Length / elapsed, Pct(all, 0.50), Pct(all, 0.99), errors) { Completed = all.Length };
    }

    /// <summary>
    /// <paramref name="watchers"/> watches on one key, 100 per Watch stream (as a client multiplexes them), and one writer putting
    /// as fast as it can. Ops/s is events delivered to watchers per second; latency is from just before the put was sent to the
    /// event's arrival at a watcher.
    /// </summary>
    private static async Task<Result> WatchFanOut(Target t, int watchers, TimeSpan duration, int maxOps)
    {
        const int PerStream = 100;
        var key = UnsafeByteOperations.UnsafeWrap(System.Text.Encoding.ASCII.GetBytes("/bench/watch/" + Guid.NewGuid().ToString("N")));
        using var cts = new CancellationTokenSource(duration + TimeSpan.FromSeconds(60));
        var streams = new List<(AsyncDuplexStreamingCall<V3.WatchRequest, V3.WatchResponse> Call, List<float> Latencies)>();
        long delivered = 0;
        var readers = new List<Task>();
        try
        {
            for (var created = 0; created < watchers; created += PerStream)
            {
                var call = t.Watch.Watch(cancellationToken: cts.Token);
                var n = Math.Min(PerStream, watchers - created);
                for (var w = 0; w < n; w++)
                {
                    await call.RequestStream.WriteAsync(new V3.WatchRequest { CreateRequest = new V3.WatchCreateRequest { Key = key } });
                }
                for (var acks = 0; acks < n;)
                {
                    if (!await call.ResponseStream.MoveNext(cts.Token))
                    {
                        throw new InvalidOperationException("the watch stream ended during creation");
                    }
                    if (call.ResponseStream.Current.Created)
                    {
                        acks++;
                    }
                }
                var latencies = new List<float>(1 << 16);
                streams.Add((call, latencies));
                readers.Add(Task.Run(async () =>
                {
                    try
                    {
                        while (await call.ResponseStream.MoveNext(cts.Token))
                        {
                            var now = Stopwatch.GetTimestamp();
                            foreach (var e in call.ResponseStream.Current.Events)
                            {
                                var sent = BitConverter.ToInt64(e.Kv.Value.Span);
                                latencies.Add((float)Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
                                Interlocked.Increment(ref delivered);
                            }
                        }
                    }
                    catch (RpcException) when (cts.IsCancellationRequested)
                    {
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }));
            }

            var cpu = t.CpuTime();
            var client = ProcessCpu.Self();
            var others = t.OthersCpuTime();
            var from = DateTime.UtcNow;
            var stop = Stopwatch.StartNew();
            var writes = 0L;
            var value = new byte[256];
            for (var i = 0; i < maxOps / Math.Max(1, watchers) + 1_000 && stop.Elapsed < duration; i++)
            {
                BitConverter.TryWriteBytes(value, Stopwatch.GetTimestamp());
                await t.Kv.PutAsync(new V3.PutRequest { Key = key, Value = ByteString.CopyFrom(value) });
                writes++;
            }
            var expected = writes * watchers;
            var drain = Stopwatch.StartNew();
            while (Interlocked.Read(ref delivered) < expected && drain.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(10);
            }
            var elapsed = stop.Elapsed.TotalSeconds;
            var cpuAfter = t.CpuTime();
            var clientAfter = ProcessCpu.Self();
            var othersAfter = t.OthersCpuTime();
            var threads = t.Threads();
            var to = DateTime.UtcNow;
            await cts.CancelAsync();
            await Task.WhenAll(readers);
            var all = streams.SelectMany(s => s.Latencies).Select(x => (double)x).Order().ToArray();
            var missing = expected - Interlocked.Read(ref delivered);
            var events = Interlocked.Read(ref delivered);
            return new Result(events / elapsed, Pct(all, 0.50), Pct(all, 0.99), Math.Max(0, missing))
            {
                Completed = events,
                CpuMicrosPerOp = ProcessCpu.PerOp(cpu, cpuAfter, events),
                ClientCpuMicrosPerOp = ProcessCpu.PerOp(client, clientAfter, events),
                OthersCpuMicrosPerOp = ProcessCpu.PerOp(others, othersAfter, events),
                Threads = threads,
                Window = string.Create(CultureInfo.InvariantCulture, $"{from:HH:mm:ss}-{to:HH:mm:ss}, "),
            };
        }
        finally
        {
            await cts.CancelAsync();
            foreach (var (call, _) in streams)
            {
                call.Dispose();
            }
        }
    }

    private static double Pct(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    internal static int FreePort()
    {
        using var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

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

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>
    /// The store processes under test (etcd, or our members in separate processes) and gRPC clients to one of them: the only
    /// member, or a cluster's leader (both kinds of cluster are driven through their leader, as the single client it is).
    /// </summary>
    private sealed class Target : IAsyncDisposable
    {
        private readonly IReadOnlyList<Process> _processes;
        private readonly GrpcChannel _channel;
        private readonly int _leader;

        /// <summary>The CPU time so far of each process (the leader first), in clock ticks; empty when not readable.</summary>
        public long[] CpuTime() => ProcessCpu.Read(_processes, _leader);

        /// <summary>The thread count of each process (the leader first), then of the benchmark process.</summary>
        public int[] Threads() => ProcessCpu.Threads(_processes, _leader);

        /// <summary>Every store process this run started (both targets), to tell what the idle one costs during a row.</summary>
        private static readonly List<Process> Started = [];

        /// <summary>The CPU time so far of every started process that is not this target's, together, in clock ticks.</summary>
        public long[] OthersCpuTime()
        {
            lock (Started)
            {
                return ProcessCpu.Sum(Started.Where(p => !_processes.Contains(p) && !p.HasExited).ToArray());
            }
        }

        private Target(string name, string address, IReadOnlyList<Process> processes, int leader = 0)
        {
            _leader = leader;
            Name = name;
            Address = address;
            _processes = processes;
            _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
                MaxReceiveMessageSize = null,
            });
            Kv = new V3.KV.KVClient(_channel);
            Watch = new V3.Watch.WatchClient(_channel);
        }

        public string Name { get; }

        public string Address { get; }

        public V3.KV.KVClient Kv { get; }

        public V3.Watch.WatchClient Watch { get; }

        public static async Task<Target> StartOursAsync(string dataDir, string gcServer)
        {
            var port = FreePort();
            var self = typeof(StoreBenchmark).Assembly.Location;
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { self, "serve", "--data-dir", dataDir, "--port", port.ToString(CultureInfo.InvariantCulture), "--log-level", ServeLogLevel })
            {
                psi.ArgumentList.Add(a);
            }
            psi.Environment["DOTNET_gcServer"] = gcServer; // 1 (default): as kube-host, a Web SDK app, runs
            return await StartAsync($"kube-store member (separate process, {(gcServer == "1" ? "server" : "workstation")} GC)", $"http://127.0.0.1:{port}", psi);
        }

        public static async Task<Target?> StartEtcdAsync(string dataDir)
        {
            var etcd = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin")
                .Select(d => Path.Combine(d, "etcd")).FirstOrDefault(File.Exists);
            if (etcd is null)
            {
                return null;
            }
            int client = FreePort(), peer = FreePort();
            var psi = new ProcessStartInfo(etcd) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[]
            {
                "--name", "bench", "--data-dir", dataDir,
                "--listen-client-urls", $"http://127.0.0.1:{client}", "--advertise-client-urls", $"http://127.0.0.1:{client}",
                "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
                "--initial-cluster", $"bench=http://127.0.0.1:{peer}",
            })
            {
                psi.ArgumentList.Add(a);
            }
            return await StartAsync("etcd " + await VersionAsync(etcd), $"http://127.0.0.1:{client}", psi);
        }

        /// <summary>Our members as separate <c>serve</c> processes replicating over loopback.</summary>
        public static async Task<Target> StartOursClusterAsync(string root, string gcServer, int members)
        {
            var ports = Enumerable.Range(0, members).Select(_ => (Client: FreePort(), Peer: FreePort())).ToArray();
            var cluster = string.Join(",", ports.Select((p, i) => $"m{i}=http://127.0.0.1:{p.Peer}"));
            var self = typeof(StoreBenchmark).Assembly.Location;
            var starts = ports.Select((p, i) =>
            {
                var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in new[]
                {
                    self, "serve", "--data-dir", Path.Combine(root, $"m{i}"), "--port", p.Client.ToString(CultureInfo.InvariantCulture),
                    "--name", $"m{i}", "--peer-port", p.Peer.ToString(CultureInfo.InvariantCulture), "--initial-cluster", cluster, "--log-level", ServeLogLevel,
                })
                {
                    psi.ArgumentList.Add(a);
                }
                psi.Environment["DOTNET_gcServer"] = gcServer;
                return ($"http://127.0.0.1:{p.Client}", psi);
            }).ToArray();
            return await StartManyAsync($"{members} kube-store members (separate processes)", starts);
        }

        /// <summary>A real etcd cluster of <paramref name="members"/> processes on loopback; null when etcd is not installed.</summary>
        public static async Task<Target?> StartEtcdClusterAsync(string root, int members)
        {
            var etcd = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin")
                .Select(d => Path.Combine(d, "etcd")).FirstOrDefault(File.Exists);
            if (etcd is null)
            {
                return null;
            }
            var ports = Enumerable.Range(0, members).Select(_ => (Client: FreePort(), Peer: FreePort())).ToArray();
            var cluster = string.Join(",", ports.Select((p, i) => $"e{i}=http://127.0.0.1:{p.Peer}"));
            var starts = ports.Select((p, i) =>
            {
                var psi = new ProcessStartInfo(etcd) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in new[]
                {
                    "--name", $"e{i}", "--data-dir", Path.Combine(root, $"e{i}"),
                    "--listen-client-urls", $"http://127.0.0.1:{p.Client}", "--advertise-client-urls", $"http://127.0.0.1:{p.Client}",
                    "--listen-peer-urls", $"http://127.0.0.1:{p.Peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{p.Peer}",
                    "--initial-cluster", cluster, "--initial-cluster-token", "bench", "--initial-cluster-state", "new",
                })
                {
                    psi.ArgumentList.Add(a);
                }
                return ($"http://127.0.0.1:{p.Client}", psi);
            }).ToArray();
            return await StartManyAsync($"{members} etcd {await VersionAsync(etcd)} members", starts);
        }

        /// <summary>Starts every process, waits until each answers a linearizable read, and targets the leader.</summary>
        private static async Task<Target> StartManyAsync(string name, (string Address, ProcessStartInfo Psi)[] starts)
        {
            var processes = starts.Select(s => Start(s.Psi)).ToList();
            var probes = new List<Target>();
            try
            {
                foreach (var (address, _) in starts)
                {
                    var probe = new Target(name, address, []);
                    probes.Add(probe);
                    await WaitHealthyAsync(probe, processes);
                }
                var waited = Stopwatch.StartNew();
                while (true)
                {
                    for (var i = 0; i < probes.Count; i++)
                    {
                        var probe = probes[i];
                        var status = await new V3.Maintenance.MaintenanceClient(probe._channel).StatusAsync(new V3.StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                        if (status.Leader != 0 && status.Leader == status.Header.MemberId)
                        {
                            return new Target(name + ", driven through the leader", probe.Address, processes, i);
                        }
                    }
                    if (waited.Elapsed > TimeSpan.FromSeconds(60))
                    {
                        throw new InvalidOperationException($"{name}: no leader within 60 s");
                    }
                    await Task.Delay(200);
                }
            }
            catch
            {
                await new Target(name, starts[0].Address, processes).DisposeAsync();
                throw;
            }
            finally
            {
                foreach (var probe in probes)
                {
                    await probe.DisposeAsync();
                }
            }
        }

        /// <summary>Where the started processes' output goes (<c>--log-dir</c>, one file per process); discarded when null.</summary>
        public static string? LogDir { get; set; }

        /// <summary>Our members log at Information when their output is kept, else at Warning.</summary>
        private static string ServeLogLevel => LogDir is null ? "Warning" : "Information";

        private static Process Start(ProcessStartInfo psi)
        {
            var process = Process.Start(psi)!;
            lock (Started)
            {
                Started.Add(process);
            }
            // Flushed line by line and closed when this process ends.
            var log = LogDir is null ? null
                : TextWriter.Synchronized(new StreamWriter(Path.Combine(LogDir, $"{Path.GetFileName(psi.FileName)}-{process.Id}.log")) { AutoFlush = true });
            process.OutputDataReceived += (_, e) => log?.WriteLine(e.Data);
            process.ErrorDataReceived += (_, e) => log?.WriteLine(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        private static async Task WaitHealthyAsync(Target target, IReadOnlyList<Process> processes)
        {
            var waited = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    await target.Kv.RangeAsync(new V3.RangeRequest { Key = ByteString.CopyFromUtf8("health") }, deadline: DateTime.UtcNow.AddSeconds(2));
                    return;
                }
                catch (RpcException) when (waited.Elapsed < TimeSpan.FromSeconds(60) && processes.All(p => !p.HasExited))
                {
                    await Task.Delay(200);
                }
            }
        }

        private static async Task<Target> StartAsync(string name, string address, ProcessStartInfo psi)
        {
            var process = Start(psi);
            var target = new Target(name, address, [process]);
            var waited = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    await target.Kv.RangeAsync(new V3.RangeRequest { Key = ByteString.CopyFromUtf8("health") }, deadline: DateTime.UtcNow.AddSeconds(2));
                    return target;
                }
                catch (RpcException) when (waited.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
                {
                    await Task.Delay(200);
                }
                catch
                {
                    await target.DisposeAsync();
                    throw;
                }
            }
        }

        private static async Task<string> VersionAsync(string etcd)
        {
            var psi = new ProcessStartInfo(etcd, "--version") { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            var text = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            return text.Split('\n').FirstOrDefault(l => l.StartsWith("etcd Version:", StringComparison.Ordinal))?["etcd Version:".Length..].Trim() ?? "?";
        }

        public async ValueTask DisposeAsync()
        {
            _channel.Dispose();
            foreach (var process in _processes)
            {
                try
                {
                    if (!process.HasExited)
                    {
                        process.Kill(entireProcessTree: true);
                    }
                    await process.WaitForExitAsync();
                }
                catch (InvalidOperationException)
                {
                }
                lock (Started)
                {
                    Started.Remove(process);
                }
                process.Dispose();
            }
        }
    }
}
