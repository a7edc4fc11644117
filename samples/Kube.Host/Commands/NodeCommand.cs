using System.CommandLine;
using k8s;
using Kube.Core.Client;
using Kube.Node.Config;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Host.Commands;

/// <summary>
/// <c>kube-host node --kubeconfig FILE --name NAME [--config KUBELET_CONFIG_FILE] [--data-dir DIR] [--runtime process|simulated]</c>:
/// one node agent joining an existing cluster over HTTP, as its own process. With <c>--tls-cert-file</c>, <c>--tls-private-key-file</c>
/// and <c>--client-ca-file</c> (upstream kubelet's flags) its kubelet server serves HTTPS to client certificates of that CA only.
/// </summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The kubeconfig file of the cluster to join.", Required = true };
        var name = new Option<string>("--name") { Description = "The Node's name.", Required = true };
        var config = new Option<string?>("--config") { Description = "A KubeletConfiguration (kubelet.config.k8s.io/v1beta1) YAML file." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where pod directories, logs and state live (default <temp>/kube-node/<name>)." };
        var runtime = new Option<string>("--runtime") { Description = "The container runtime: process or simulated.", DefaultValueFactory = _ => "process" };
        var tlsCert = new Option<string?>("--tls-cert-file") { Description = "The kubelet server's serving certificate (PEM); with --tls-private-key-file and --client-ca-file it serves HTTPS only (e.g. DATA/pki/kubelet-NAME.crt from `kube-host kubeconfig --node NAME`)." };
        var tlsKey = new Option<string?>("--tls-private-key-file") { Description = "The serving certificate's private key (PEM)." };
        var clientCa = new Option<string?>("--client-ca-file") { Description = "The CA (PEM) client certificates of the kubelet server must chain to; only the API server's kube-apiserver-kubelet-client and system:masters are served." };

        var cmd = new Command("node", "Join an existing cluster as a node (the kubelet's role), as its own process.") { kubeconfig, name, config, dataDir, runtime, tlsCert, tlsKey, clientCa };
        cmd.Validators.Add(r =>
        {
            var given = new[] { r.GetValue(tlsCert), r.GetValue(tlsKey), r.GetValue(clientCa) }.Count(v => v is not null);
            if (given is not (0 or 3)) r.AddError("give --tls-cert-file, --tls-private-key-file and --client-ca-file together.");
        });
        cmd.SetAction(async (parse, ct) =>
        {
            var kubeconfigPath = Path.GetFullPath(parse.GetValue(kubeconfig)!);
            var configPath = parse.GetValue(config);
            var warnings = new List<string>();
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss.fff "; });
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.Services.AddKubeCore();
            builder.Services.AddSingleton<IKubeClient>(_ => HttpKubeClient.FromConfig(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath)));
            try
            {
                builder.Services.AddKubeNodeAgent(o =>
                {
                    o.NodeName = parse.GetValue(name)!;
                    o.Runtime = parse.GetValue(runtime)!;
                    if (parse.GetValue(dataDir) is { } dir)
                    {
                        o.DataDir = Path.GetFullPath(dir);
                    }

                    if (configPath is not null)
                    {
                        warnings.AddRange(KubeletConfigurationLoader.Apply(Path.GetFullPath(configPath), o));
                    }

                    if (parse.GetValue(tlsCert) is { } certFile && parse.GetValue(tlsKey) is { } keyFile && parse.GetValue(clientCa) is { } caFile)
                    {
                        o.KubeletTls = new Kube.Node.Server.KubeletServerTlsOptions
                        {
                            ServingCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(Path.GetFullPath(certFile), Path.GetFullPath(keyFile)),
                            ClientCertificateAuthority = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.GetFullPath(caFile)),
                            // Every kubelet request is authorized by a SubjectAccessReview the node sends with its own kubeconfig
                            // credentials (upstream's --authorization-mode=Webhook), as the nodes inside kube-host up do.
                            Authorizer = new Kube.Node.Server.SubjectAccessReviewKubeletAuthorizer(o.NodeName, ApiServerHttpClient(kubeconfigPath)),
                        };
                    }
                });
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or YamlDotNet.Core.YamlException or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync($"kube-host node: {ex.Message}");
                return 1;
            }

            using var app = builder.Build();
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("kube-host");
            foreach (var w in warnings)
            {
                logger.LogWarning("{Warning}", w);
            }

            logger.LogInformation("Node {Name} joining the cluster of {Kubeconfig}", parse.GetValue(name), kubeconfigPath);
            await app.RunAsync(ct);
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// An HttpClient to the API server with the kubeconfig's transport: its CA check and client certificate (KubernetesClient's
    /// handler), plus its bearer token if it has one. Relative paths resolve against the server URL.
    /// </summary>
    private static HttpClient ApiServerHttpClient(string kubeconfigPath)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath);
        var http = new Kubernetes(config).HttpClient;
        http.BaseAddress = new Uri(config.Host.TrimEnd('/') + "/");
        if (!string.IsNullOrEmpty(config.AccessToken))
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", config.AccessToken);
        return http;
    }
}
