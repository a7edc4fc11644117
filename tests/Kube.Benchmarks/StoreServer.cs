using System.Net;
using Kube.Store.Etcd;
using Microsoft.AspNetCore.Builder;
using Kube.Store;
using Microsoft.Extensions.Logging;

namespace Kube.Benchmarks;

/// <summary>Serves one embedded store member over etcd's gRPC API on 127.0.0.1 (cleartext HTTP/2).</summary>
internal static class StoreServer
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dataDir = Arg(args, "--data-dir") ?? Path.Combine(Path.GetTempPath(), "kube-store-serve");
        var port = int.Parse(Arg(args, "--port") ?? "2379", System.Globalization.CultureInfo.InvariantCulture);
        var cluster = Arg(args, "--initial-cluster");
        var level = Enum.Parse<LogLevel>(Arg(args, "--log-level") ?? nameof(LogLevel.Warning));
        var app = cluster is null ? Build(dataDir, port, level)
            : BuildMember(dataDir, Arg(args, "--name")!, port, int.Parse(Arg(args, "--peer-port")!, System.Globalization.CultureInfo.InvariantCulture), cluster, level);
        app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"serving etcd API on 127.0.0.1:{port}, data in {dataDir}"));
        using var gcReport = level <= LogLevel.Information ? new Timer(_ => ReportGc(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) : null;
        using var allocations = Environment.GetEnvironmentVariable("KUBE_BENCH_ALLOC_PROFILE") == "1" ? new StoreAllocations() : null;
        await app.RunAsync(); // stops on Ctrl+C and SIGTERM
        return 0;
    }

    /// <summary>Every second when the output is kept (<c>--log-dir</c>): the garbage collections and pause time so far.</summary>
    private static void ReportGc() => Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"gc at {DateTime.UtcNow:HH:mm:ss}: gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}; paused {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms; allocated {GC.GetTotalAllocatedBytes() / 1048576} MiB; heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576} MiB; last ephemeral #{Last(GCKind.Ephemeral)}, full blocking #{Last(GCKind.FullBlocking)}, background #{Last(GCKind.Background)}"));

    private static string Last(GCKind kind)
    {
        var info = GC.GetGCMemoryInfo(kind);
        var loh = info.GenerationInfo.Length > 3 ? info.GenerationInfo[3].SizeAfterBytes / 1048576 : 0;
        return System.FormattableString.Invariant($"{info.Index} gen{info.Generation} {info.PauseDurations[0].TotalMilliseconds:F1}+{info.PauseDurations[1].TotalMilliseconds:F1} ms loh {loh} MiB");
    }

    public static WebApplication Build(string dataDir, int port, LogLevel level = LogLevel.Warning) =>
        EtcdServer.Create(new StoreOptions { DataDir = dataDir }, [new IPEndPoint(IPAddress.Loopback, port)],
            b => b.Logging.SetMinimumLevel(level).AddFilter("Microsoft", LogLevel.Warning));

    /// <summary>One member of a replicated store: client API on <paramref name="port"/>, Raft peers on <paramref name="peerPort"/>.</summary>
    public static WebApplication BuildMember(string dataDir, string name, int port, int peerPort, string initialCluster, LogLevel level = LogLevel.Warning) =>
        EtcdServer.Create(new StoreOptions
        {
            DataDir = dataDir,
            MemberName = name,
            InitialCluster = initialCluster,
            InitialClusterToken = "bench",
            AdvertiseClientUrls = $"http://127.0.0.1:{port}",
        }, [new IPEndPoint(IPAddress.Loopback, port)], [new IPEndPoint(IPAddress.Loopback, peerPort)],
            b => b.Logging.SetMinimumLevel(level).AddFilter("Microsoft", LogLevel.Warning));

    public static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
