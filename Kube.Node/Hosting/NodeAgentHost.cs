using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using k8s;
using Kube.Core.Client;
using Kube.Node.Agent;
using Kube.Node.Config;
using Kube.Node.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Hosting;

/// <summary>
/// What a stand-alone node agent process is started with: upstream kubelet's flags as <c>kube-host node</c> and
/// <c>kube-node</c> take them (<c>--kubeconfig</c>, <c>--name</c>, <c>--config</c>, <c>--data-dir</c>, <c>--runtime</c>,
/// <c>--tls-cert-file</c>, <c>--tls-private-key-file</c>, <c>--client-ca-file</c>).
/// </summary>
public sealed record NodeAgentHostOptions
{
    /// <summary>The kubeconfig file of the cluster to join.</summary>
    public required string KubeconfigPath { get; init; }

    /// <summary>The Node's name.</summary>
    public required string NodeName { get; init; }

    /// <summary>A KubeletConfiguration (kubelet.config.k8s.io/v1beta1) YAML file, or null.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>Where pod directories, logs and state live; null for the default.</summary>
    public string? DataDir { get; init; }

    /// <summary>The container runtime's name: process, cri or simulated.</summary>
    public string Runtime { get; init; } = "process";

    /// <summary>The kubelet server's serving certificate (PEM); with the key and the client CA it serves HTTPS only.</summary>
    public string? TlsCertFile { get; init; }

    /// <summary>The serving certificate's private key (PEM).</summary>
    public string? TlsPrivateKeyFile { get; init; }

    /// <summary>The CA (PEM) client certificates of the kubelet server must chain to.</summary>
    public string? ClientCaFile { get; init; }
}

/// <summary>
/// Runs one node agent as its own process (the kubelet's role): the generic host with console logging, an
/// <see cref="HttpKubeClient"/> from the kubeconfig, and <see cref="KubeNodeServiceCollectionExtensions.AddKubeNodeAgent"/>.
/// Shared by <c>kube-host node</c> and the ahead-of-time compiled <c>kube-node</c>.
/// </summary>
public static class NodeAgentHost
{
    /// <summary>
    /// Starts the agent and runs until <paramref name="cancellationToken"/> fires or the process gets SIGINT/SIGTERM.
    /// Returns 0, or 1 after writing "<paramref name="programName"/>: message" to stderr when the options are refused.
    /// </summary>
    public static async Task<int> RunAsync(NodeAgentHostOptions options, string programName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var kubeconfigPath = Path.GetFullPath(options.KubeconfigPath);
        var warnings = new List<string>();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.AddKubeCore();
        // --runtime cri: containerd's default socket (process and simulated are registered by AddKubeNodeAgent).
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IContainerRuntimeProvider, CriRuntimeProvider>());
        // The agent's JSON is source-generated for the types it uses (NodeJsonContext), so a trimmed kube-node keeps no other model.
        // A node agent idles most of its life: give the GC's free memory back after bursts of pod starts.
        builder.Services.AddHostedService<IdleMemoryTrimmer>();
        builder.Services.AddSingleton<IKubeClient>(_ => HttpKubeClient.FromConfig(LoadKubeconfig(kubeconfigPath), options: new HttpKubeClientOptions { SerializerOptions = NodeJson.Options }));
        try
        {
            builder.Services.AddKubeNodeAgent(o =>
            {
                o.NodeName = options.NodeName;
                o.Runtime = options.Runtime;
                if (options.DataDir is { } dir)
                {
                    o.DataDir = Path.GetFullPath(dir);
                }

                if (options.ConfigPath is { } configPath)
                {
                    warnings.AddRange(KubeletConfigurationLoader.Apply(Path.GetFullPath(configPath), o));
                }

                if (options is { TlsCertFile: { } certFile, TlsPrivateKeyFile: { } keyFile, ClientCaFile: { } caFile })
                {
                    o.KubeletTls = new KubeletServerTlsOptions
                    {
                        ServingCertificate = X509Certificate2.CreateFromPemFile(Path.GetFullPath(certFile), Path.GetFullPath(keyFile)),
                        ClientCertificateAuthority = X509CertificateLoader.LoadCertificateFromFile(Path.GetFullPath(caFile)),
                        // Every kubelet request is authorized by a SubjectAccessReview the node sends with its own kubeconfig
                        // credentials (upstream's --authorization-mode=Webhook), as the nodes inside kube-host up do.
                        Authorizer = new SubjectAccessReviewKubeletAuthorizer(o.NodeName, ApiServerHttpClient(kubeconfigPath)),
                    };
                }
            });
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or YamlDotNet.Core.YamlException or CryptographicException)
        {
            await Console.Error.WriteLineAsync($"{programName}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        using var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(programName);
        foreach (var w in warnings)
        {
            logger.LogWarning("{Warning}", w);
        }

        logger.LogInformation("Node {Name} joining the cluster of {Kubeconfig}", options.NodeName, kubeconfigPath);
        await Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.RunAsync(app, cancellationToken).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// KubernetesClient's loader on the JIT (every kubeconfig feature, exec plugins included); <see cref="KubeconfigReader"/>
    /// when compiled ahead of time, where KubernetesClient's YAML loader fails.
    /// </summary>
    /// <remarks>
    /// The configuration is given the agent's JSON options (<see cref="NodeJson"/>): the <see cref="Kubernetes"/> objects built
    /// from it, used only for their HTTP handler and credentials, store them instead of building KubernetesClient's own from
    /// KubernetesJson on first read, which kube-node does not compile in (its ILLink.Substitutions.xml).
    /// </remarks>
    private static KubernetesClientConfiguration LoadKubeconfig(string path)
    {
        var config = System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path)
            : KubeconfigReader.Load(path);
        SetJsonSerializerOptions(config, new JsonSerializerOptions(NodeJson.Options));
        return config;
    }

    /// <summary>KubernetesClientConfiguration.JsonSerializerOptions' private setter (a missing one fails loudly: MissingMethodException).</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_JsonSerializerOptions")]
    private static extern void SetJsonSerializerOptions(KubernetesClientConfiguration config, JsonSerializerOptions options);

    /// <summary>
    /// An HttpClient to the API server with the kubeconfig's transport: its CA check and client certificate (KubernetesClient's
    /// handler), plus its bearer token if it has one. Relative paths resolve against the server URL.
    /// </summary>
    private static HttpClient ApiServerHttpClient(string kubeconfigPath)
    {
        var config = LoadKubeconfig(kubeconfigPath);
        var http = new Kubernetes(config).HttpClient;
        http.BaseAddress = new Uri(config.Host.TrimEnd('/') + "/");
        if (!string.IsNullOrEmpty(config.AccessToken))
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", config.AccessToken);
        return http;
    }
}
