using System.Net;
using Kube.Store.Etcd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
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

    public static WebApplication Build(string dataDir, int port, LogLevel level = LogLevel.Warning)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(level);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddKubeStore(o => o.DataDir = dataDir).AddEtcdGrpc();
        var app = builder.Build();
        app.MapEtcdGrpc();
        return app;
    }

    public static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
