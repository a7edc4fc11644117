using Kube.ApiServer.Security;
using Kube.Core.Admission;
using Kube.Node.Agent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Host.Cluster;

/// <summary>
/// Assembles every package into one process: store, API server (HTTPS, authentication, Node+RBAC authorization,
/// built-in admission, optional encryption at rest) with networking, then the controller manager, the scheduler and N
/// node agents, each in its own <see cref="ComponentHost"/> under its own identity.
/// </summary>
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

        ApiServerSecurityOptions security;
        ClusterPki pki;
        try
        {
            (security, pki) = SecurityFor(options);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException
            or YamlDotNet.Core.YamlException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"kube-host up: {e.Message}");
            return 1;
        }

        var s = builder.Services;
        if (options.EtcdServers.Count > 0)
            s.AddKubeEtcdClientStore(o => o.Endpoints = [.. options.EtcdServers]);
        else
            s.AddKubeStore(o => o.DataDir = Path.Combine(options.DataDir, "store"));
        s.AddKubeApiServer(o =>
        {
            o.Port = options.ApiPort;
            o.Security = security;
        });
        s.AddKubeBuiltInAdmission();
        // The API server's own loopback client (system:masters, as upstream's) is the root container's IKubeClient:
        // admission plugins, ClusterIP allocation and the default/kubernetes Service use it.
        s.AddKubeCore();
        // default/kubernetes points at the API server; pods get KUBERNETES_SERVICE_HOST/PORT of the real listener
        // (there is no service proxy yet to make the ClusterIP answer).
        // ClusterIP/NodePort allocation is admission inside the API server (as upstream's), so it keeps the loopback identity;
        // the EndpointSlice controller runs as its own service account, as kube-controller-manager runs it.
        s.AddKubeNetworking(o =>
        {
            o.KubernetesServiceEndpoint = $"127.0.0.1:{options.ApiPort}";
            o.EnableEndpointSlices = false;
        });
        AddComponent(s, "endpointslice-controller", ComponentIdentities.EndpointSliceController, c => c.AddKubeCore().AddKubeEndpointSliceController());

        AddComponent(s, "controller-manager", ComponentIdentities.ControllerManager, c =>
        {
            // The root-ca-cert-publisher puts the cluster CA into kube-root-ca.crt in every namespace (upstream's
            // --root-ca-file); the serviceaccounts controller creates each namespace's default ServiceAccount.
            c.AddKubeControllers(o => o.RootCaBundle = pki.CertificateAuthorityPem).AddBuiltInControllers();
        });
        AddComponent(s, "scheduler", ComponentIdentities.Scheduler, c =>
        {
            var scheduler = c.AddKubeScheduler(_ => { });
            if (options.SchedulerConfig is { } schedulerConfig) scheduler.UseConfigurationFile(schedulerConfig);
        });
        for (var i = 1; i <= options.Nodes; i++)
        {
            var name = $"node-{i}";
            var index = i;
            AddComponent(s, "node " + name, ComponentIdentities.Node(name), c =>
            {
                if (options.Runtime == "cri")
                    c.TryAddEnumerable(ServiceDescriptor.Singleton<IContainerRuntimeProvider>(new CriRuntimeProvider(options.CriSocket)));
                c.AddKubeCore();
                // Bound ServiceAccount tokens for the pods' projected volumes, requested as this node.
                c.AddSingleton<IServiceAccountTokenRequester>(_ =>
                    new NodeTokenRequester(new Uri($"https://127.0.0.1:{options.ApiPort}/"), pki.NodeCertificate(name), pki.CertificateAuthority));
                // The agent's events (Started, BackOff, Unhealthy, Killing, Evicted), as the kubelet reports them.
                c.AddKubeEventRecorder(new Kube.Core.Events.EventRecorderOptions { ReportingController = "kubelet", ReportingInstance = name });
                c.AddKubeNodeAgent(o => ConfigureNode(o, options, name, index, options.Runtime, pki));
            });
        }
        if (options.SimulatedNodes > 0)
        {
            // KWOK-like: one simulator identity drives every simulated node (upstream's kwok controller has one identity too).
            AddComponent(s, "simulated nodes", SimulatedNodes.Identity, c =>
            {
                c.AddKubeCore();
                for (var i = 1; i <= options.SimulatedNodes; i++)
                {
                    var index = options.Nodes + i;
                    var name = $"sim-{i}";
                    c.AddKubeNodeAgent(o => ConfigureNode(o, options, name, index, "simulated", pki));
                }
            }, SimulatedNodes.EnsureBindingAsync);
        }
        s.AddHostedService(sp => new ReadyAnnouncer(options, pki, sp.GetRequiredService<ILogger<ReadyAnnouncer>>()));

        if (options.ExitWithParent)
        {
            s.AddSingleton(new ParentWatchOptions(options.DataDir));
            s.AddHostedService<ParentWatch>();
        }

        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("kube-host");
        using var dirLock = await DataDirLock.AcquireAsync(options.DataDir, TimeSpan.FromSeconds(60), logger, cancellationToken);
        try
        {
            await host.RunAsync(cancellationToken);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            // A bad setting (e.g. a --scheduler-config naming an unknown plugin) fails the start with its own message.
            await Console.Error.WriteLineAsync($"kube-host up: {string.Join("; ", e.Failures)}");
            return 1;
        }
        return 0;
    }

    /// <summary>
    /// The PKI under DIR/pki (CA, serving and client certificates, ServiceAccount key; created on first start, reused
    /// after), the token file and the encryption configuration, checked now so a bad file fails the start with its message.
    /// </summary>
    private static (ApiServerSecurityOptions, ClusterPki) SecurityFor(AllInOneOptions options)
    {
        if (options.TokenAuthFile is { } tokens)
            _ = Kube.ApiServer.Authentication.StaticTokenAuthenticator.FromFile(tokens);
        var (security, pki) = ClusterSecurity.ForDataDir(options.DataDir, options.TokenAuthFile, options.EncryptionProviderConfig);
        if (options.AuditPolicyFile is { } auditPolicy)
        {
            security.AuditPolicy = AuditPolicy.Load(auditPolicy);
            security.AuditLogPath = options.AuditLogPath ?? Path.Combine(options.DataDir, "audit.log");
            security.AuditLogMaxSize = options.AuditLogMaxSize;
            security.AuditLogMaxBackup = options.AuditLogMaxBackup;
            security.AuditLogMaxAge = options.AuditLogMaxAge;
        }
        // The admin certificate is issued (or reused) now, before anything listens.
        _ = pki.AdminCertificate();
        // The API server reaches kubelets over HTTPS as kube-apiserver-kubelet-client and checks their serving certificates against the CA.
        security.KubeletClientCertificate = pki.ApiServerKubeletClientCertificate();
        security.KubeletCertificateAuthority = pki.CertificateAuthority;
        return (security, pki);
    }

    private static void AddComponent(IServiceCollection services, string name, UserInfo identity, Action<IServiceCollection> configure,
        Func<Kube.Core.Client.IKubeClient, CancellationToken, Task>? beforeStart = null) =>
        // Not AddHostedService: it de-duplicates by type, and every component must run.
        services.AddSingleton<IHostedService>(sp => new ComponentHost(name, identity, configure, sp, beforeStart));

    /// <summary>HTTPS to the API server as the node (its client certificate), the server checked against the cluster CA.</summary>
    private static HttpClient NodeApiClient(AllInOneOptions options, string node, ClusterPki pki)
    {
        var ca = pki.CertificateAuthority;
        var handler = new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
            cert is System.Security.Cryptography.X509Certificates.X509Certificate2 c && ClusterPki.ChainsTo(c, ca);
        handler.SslOptions.ClientCertificates = [pki.NodeCertificate(node)];
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{options.ApiPort}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    private static void ConfigureNode(NodeAgentOptions o, AllInOneOptions options, string name, int index, string runtime, ClusterPki pki)
    {
        // The kubelet server: HTTPS with its own serving certificate; client certificates from the cluster CA; every request
        // authorized by a SubjectAccessReview the node sends as system:node:<name> (upstream's --authorization-mode=Webhook).
        o.KubeletTls = new Kube.Node.Server.KubeletServerTlsOptions
        {
            ServingCertificate = pki.KubeletServingCertificate(name),
            ClientCertificateAuthority = pki.CertificateAuthority,
            Authorizer = new Kube.Node.Server.SubjectAccessReviewKubeletAuthorizer(name, NodeApiClient(options, name, pki)),
        };
        o.NodeName = name;
        o.NodeIndex = index;
        o.DataDir = Path.Combine(options.DataDir, "nodes", name);
        o.Runtime = runtime;
        o.PodCidr = PodCidrOf(index);
        o.KubernetesServiceHost = "127.0.0.1";
        o.KubernetesServicePort = options.ApiPort;
        if (runtime != "simulated" && options.KubeletConfig is { } kubeletConfig)
        {
            foreach (var warning in Kube.Node.Config.KubeletConfigurationLoader.Apply(kubeletConfig, o))
                Console.Error.WriteLine($"kube-host: node {name}: {warning}");
        }
    }
}
