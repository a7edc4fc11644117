using Kube.Node.Agent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Host.Cluster;

/// <summary>Assembles every package into one process: store, API server, controllers, scheduler, networking and N node agents.</summary>
internal static class AllInOneCluster
{
    /// <summary>
    /// Node i's pod CIDR: 127.&lt;1 + i / 256&gt;.&lt;i % 256&gt;.0/24, skipping 127.10.0.0/16 (the service CIDR), so any
    /// node count stays inside loopback without overlapping ClusterIPs.
    /// </summary>
    internal static string PodCidrOf(int index)
    {
        var second = 1 + index / 256;
        if (second >= 10) second++;
        return $"127.{second}.{index % 256}.0/24";
    }

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
        if (options.EtcdServers.Count > 0)
            s.AddKubeEtcdClientStore(o => o.Endpoints = [.. options.EtcdServers]);
        else
            s.AddKubeStore(o => o.DataDir = Path.Combine(options.DataDir, "store"));
        s.AddKubeApiServer(o => o.Port = options.ApiPort);
        s.AddKubeCore();
        // default/kubernetes points at the API server; pods get KUBERNETES_SERVICE_HOST/PORT of the real listener
        // (there is no service proxy yet to make the ClusterIP answer).
        s.AddKubeNetworking(o => o.KubernetesServiceEndpoint = $"127.0.0.1:{options.ApiPort}");
        s.AddKubeControllers().AddBuiltInControllers();
        s.AddKubeScheduler(_ => { });
        if (options.Runtime == "cri")
            s.TryAddEnumerable(ServiceDescriptor.Singleton<IContainerRuntimeProvider>(new CriRuntimeProvider(options.CriSocket)));
        for (var i = 1; i <= options.Nodes + options.SimulatedNodes; i++)
        {
            var simulated = i > options.Nodes;
            var name = simulated ? $"sim-{i - options.Nodes}" : $"node-{i}";
            var index = i;
            s.AddKubeNodeAgent(o =>
            {
                o.NodeName = name;
                o.NodeIndex = index;
                o.DataDir = Path.Combine(options.DataDir, "nodes", name);
                o.Runtime = simulated ? "simulated" : options.Runtime;
                o.PodCidr = PodCidrOf(index);
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
