using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using YamlDotNet.RepresentationModel;

namespace Kube.Core.Client;

/// <summary>
/// Reads a kubeconfig file into a <see cref="KubernetesClientConfiguration"/> without reflection, so that it also works in
/// a program compiled ahead of time (NativeAOT), where KubernetesClient's own loader (<c>KubernetesYaml</c>) fails in its
/// type initializer. Reads the YAML tree and fills KubernetesClient's kubeconfig model, then hands it to
/// <see cref="KubernetesClientConfiguration.BuildConfigFromConfigObject"/>: the same TLS, client certificate and token
/// handling, relative paths resolved against the file's folder.
/// </summary>
/// <remarks>
/// Supported: <c>current-context</c>; clusters (<c>server</c>, <c>certificate-authority</c>, <c>certificate-authority-data</c>,
/// <c>insecure-skip-tls-verify</c>, <c>tls-server-name</c>); users (<c>client-certificate</c>, <c>client-certificate-data</c>,
/// <c>client-key</c>, <c>client-key-data</c>, <c>token</c>, <c>username</c>, <c>password</c>); contexts (<c>cluster</c>,
/// <c>user</c>, <c>namespace</c>). Exec and auth-provider plugins are not; a user naming one is refused.
/// </remarks>
public static class KubeconfigReader
{
    /// <summary>The configuration of <paramref name="path"/>'s current context (or <paramref name="context"/>).</summary>
    /// <exception cref="KubeConfigException">The file is not a kubeconfig this reader understands.</exception>
    public static KubernetesClientConfiguration Load(string path, string? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var yaml = new YamlStream();
        using (var reader = new StreamReader(full))
        {
            yaml.Load(reader);
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new KubeConfigException($"{full}: not a kubeconfig (no YAML mapping)");
        }

        var config = new K8SConfiguration
        {
            FileName = full,
            ApiVersion = Scalar(root, "apiVersion"),
            Kind = Scalar(root, "kind"),
            CurrentContext = Scalar(root, "current-context"),
            Clusters = Named(root, "clusters", "cluster", (name, c) => new Cluster
            {
                Name = name,
                ClusterEndpoint = new ClusterEndpoint
                {
                    Server = Scalar(c, "server"),
                    CertificateAuthority = Scalar(c, "certificate-authority"),
                    CertificateAuthorityData = Scalar(c, "certificate-authority-data"),
                    SkipTlsVerify = Scalar(c, "insecure-skip-tls-verify") is { } skip && bool.Parse(skip),
                    TlsServerName = Scalar(c, "tls-server-name"),
                },
            }),
            Users = Named(root, "users", "user", (name, u) => new User
            {
                Name = name,
                UserCredentials = new UserCredentials
                {
                    ClientCertificate = Scalar(u, "client-certificate"),
                    ClientCertificateData = Scalar(u, "client-certificate-data"),
                    ClientKey = Scalar(u, "client-key"),
                    ClientKeyData = Scalar(u, "client-key-data"),
                    Token = Scalar(u, "token"),
                    UserName = Scalar(u, "username"),
                    Password = Scalar(u, "password"),
                },
            }, rejected: ["exec", "auth-provider"]),
            Contexts = Named(root, "contexts", "context", (name, c) => new Context
            {
                Name = name,
                ContextDetails = new ContextDetails { Cluster = Scalar(c, "cluster"), User = Scalar(c, "user"), Namespace = Scalar(c, "namespace") },
            }),
        };
        return KubernetesClientConfiguration.BuildConfigFromConfigObject(config, context);
    }

    private static List<T> Named<T>(YamlMappingNode root, string listKey, string itemKey, Func<string, YamlMappingNode, T> make, string[]? rejected = null)
    {
        var list = new List<T>();
        if (!root.Children.TryGetValue(new YamlScalarNode(listKey), out var node) || node is not YamlSequenceNode items)
        {
            return list;
        }

        foreach (var item in items.OfType<YamlMappingNode>())
        {
            var name = Scalar(item, "name") ?? throw new KubeConfigException($"a {itemKey} in {listKey} has no name");
            var body = item.Children.TryGetValue(new YamlScalarNode(itemKey), out var b) && b is YamlMappingNode m ? m : new YamlMappingNode();
            foreach (var key in rejected ?? [])
            {
                if (body.Children.ContainsKey(new YamlScalarNode(key)))
                {
                    throw new KubeConfigException($"{itemKey} \"{name}\": {key} credentials are not supported by this reader");
                }
            }

            list.Add(make(name, body));
        }

        return list;
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode { Value: { Length: > 0 } s } ? s : null;
}
