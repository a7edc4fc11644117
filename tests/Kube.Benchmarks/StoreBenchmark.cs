using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Net.Client;
using Kube.Store;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Benchmarks;

/// <summary>
/// Store throughput and latency: the embedded store in-process, our member over gRPC, and (with --etcd) a real etcd
/// started by this run, all driven by the same gRPC client code. Prints figures; asserts nothing.
/// </summary>
internal static class StoreBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = double.Parse(StoreServer.Arg(args, "--seconds") ?? "5", CultureInfo.InvariantCulture);
        var duration = TimeSpan.FromSeconds(seconds);
        var root = Path.Combine(Path.GetTempPath(), "kube-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Console.WriteLine($"store benchmark: {seconds}s per scenario, data under {root}");
        Console.WriteLine($"{"scenario",-44} {"ops/s",10} {"p50 ms",8} {"p99 ms",8} {"max ms",8}");
        try
        {
            await using (var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = Path.Combine(root, "embedded") }))
            {
                var value = new byte[256];
                await Measure("embedded put, 1 client", 1, duration, (c, i) => store.PutAsync(new PutRequest(Key(c, i), value)).AsTask());
                await Measure("embedded put, 64 clients", 64, duration, (c, i) => store.PutAsync(new PutRequest(Key(c, i), value)).AsTask());
                await Measure("embedded range, 64 clients", 64, duration, (c, i) => store.RangeAsync(new RangeRequest(Key(c, i % 100))).AsTask());
            }

            var port = FreePort();
            var app = StoreServer.Build(Path.Combine(root, "grpc"), port);
            await app.StartAsync();
            try
            {
                await GrpcScenarios("kube-store", $"http://127.0.0.1:{port}", duration);
            }
            finally
            {
                await app.StopAsync();
            }

            if (args.Contains("--etcd"))
            {
                await RunEtcdAsync(root, duration);
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
        return 0;
    }

    private static async Task RunEtcdAsync(string root, TimeSpan duration)
    {
        var etcd = FindOnPath("etcd");
        if (etcd is null)
        {
            Console.WriteLine("etcd: not installed (apt-get install -y etcd-server), skipped");
            return;
        }
        int client = FreePort(), peer = FreePort();
        var psi = new ProcessStartInfo(etcd)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "--name", "bench", "--data-dir", Path.Combine(root, "etcd"),
            "--listen-client-urls", $"http://127.0.0.1:{client}", "--advertise-client-urls", $"http://127.0.0.1:{client}",
            "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
            "--initial-cluster", $"bench=http://127.0.0.1:{peer}",
        })
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await GrpcScenarios("etcd " + (await Version(etcd)), $"http://127.0.0.1:{client}", duration);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static async Task GrpcScenarios(string name, string address, TimeSpan duration)
    {
        using var channel = GrpcChannel.ForAddress(address);
        var kv = new V3.KV.KVClient(channel);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await kv.RangeAsync(new V3.RangeRequest { Key = ByteString.CopyFromUtf8("health") }, deadline: DateTime.UtcNow.AddSeconds(2));
                break;
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
        var value = UnsafeByteOperations.UnsafeWrap(new byte[256]);
        await Measure($"{name}: put, 1 client", 1, duration,
            (c, i) => kv.PutAsync(new V3.PutRequest { Key = UnsafeByteOperations.UnsafeWrap(Key(c, i)), Value = value }).ResponseAsync);
        await Measure($"{name}: put, 64 clients", 64, duration,
            (c, i) => kv.PutAsync(new V3.PutRequest { Key = UnsafeByteOperations.UnsafeWrap(Key(c, i)), Value = value }).ResponseAsync);
        await Measure($"{name}: range, 64 clients", 64, duration,
            (c, i) => kv.RangeAsync(new V3.RangeRequest { Key = UnsafeByteOperations.UnsafeWrap(Key(c, i % 100)) }).ResponseAsync);
    }

    private static byte[] Key(int client, int i) => System.Text.Encoding.ASCII.GetBytes($"/bench/{client:D3}/{i % 1000:D6}");

    private static async Task Measure(string name, int clients, TimeSpan duration, Func<int, int, Task> op)
    {
        var latencies = new List<double>[clients];
        var stop = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = new List<double>(4096);
            for (var i = 0; stop.Elapsed < duration && i < 10_000_000; i++)
            {
                var t = Stopwatch.GetTimestamp();
                await op(c, i);
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        })));
        var all = latencies.SelectMany(x => x).Order().ToArray();
        var elapsed = stop.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-44} {all.Length / elapsed,10:F0} {Pct(all, 0.50),8:F2} {Pct(all, 0.99),8:F2} {all[^1],8:F2}"));
    }

    private static double Pct(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static int FreePort()
    {
        using var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static async Task<string> Version(string etcd)
    {
        var psi = new ProcessStartInfo(etcd, "--version") { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var text = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return text.Split('\n').FirstOrDefault(l => l.StartsWith("etcd Version:", StringComparison.Ordinal))?["etcd Version:".Length..].Trim() ?? "?";
    }
}
