using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Host.Cluster;

/// <summary>Assembles every package into one process: store, API server, controllers, scheduler, networking and N node agents.</summary>
internal static class AllInOneCluster
{
    public static async Task<int> RunAsync(AllInOneOptions options, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.DataDir);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        // Pods get SIGTERM, then SIGKILL after their grace period, when the host stops: leave room for that.
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(40));

        var s = builder.Services;
        s.AddKubeStore(o => o.DataDir = Path.Combine(options.DataDir, "store"));
        s.AddKubeApiServer(o => o.Port = options.ApiPort);
        s.AddKubeCore();
        // default/kubernetes points at the API server; pods get KUBERNETES_SERVICE_HOST/PORT of the real listener
        // (there is no service proxy yet to make the ClusterIP answer).
        s.AddKubeNetworking(o => o.KubernetesServiceEndpoint = $"127.0.0.1:{options.ApiPort}");
        s.AddKubeControllers().AddBuiltInControllers();
        s.AddKubeScheduler(_ => { });
        for (var i = 1; i <= options.Nodes; i++)
        {
            var name = $"node-{i}";
            var index = i;
            s.AddKubeNodeAgent(o =>
            {
                o.NodeName = name;
                o.DataDir = Path.Combine(options.DataDir, "nodes", name);
                o.PodCidr = $"127.1.{index}.0/24";
                o.KubernetesServiceHost = "127.0.0.1";
                o.KubernetesServicePort = options.ApiPort;
            });
        }
        s.AddHostedService(sp => new ReadyAnnouncer(options, sp.GetRequiredService<ILogger<ReadyAnnouncer>>()));

        if (options.ExitWithParent)
        {
            s.AddSingleton(new ParentWatchOptions(options.DataDir));
            s.AddHostedService<ParentWatch>();
        }

        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("kube-host");
        using var dirLock = await DataDirLock.AcquireAsync(options.DataDir, TimeSpan.FromSeconds(60), logger, cancellationToken);
        await host.RunAsync(cancellationToken);
        return 0;
    }
}
