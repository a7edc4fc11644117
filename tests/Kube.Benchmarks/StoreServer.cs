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
        var app = Build(dataDir, port);
        app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"serving etcd API on 127.0.0.1:{port}, data in {dataDir}"));
        await app.RunAsync(); // stops on Ctrl+C and SIGTERM
        return 0;
    }

    public static WebApplication Build(string dataDir, int port, LogLevel level = LogLevel.Warning) =>
        EtcdServer.Create(new StoreOptions { DataDir = dataDir }, [new IPEndPoint(IPAddress.Loopback, port)],
            b => b.Logging.SetMinimumLevel(level));

    public static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
