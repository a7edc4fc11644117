using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kube.E2E.Tests.Infrastructure;

/// <summary>Kubeconfigs derived from the admin kubeconfig kube-host prints (same server and cluster CA, other credentials).</summary>
internal static class KubeconfigFiles
{
    /// <summary>The server URL of a kubeconfig.</summary>
    public static string Server(string kubeconfig) => Field(kubeconfig, "server:");

    /// <summary>The cluster CA (certificate-authority-data) of a kubeconfig.</summary>
    public static X509Certificate2 ClusterCa(string kubeconfig) =>
        X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(Convert.FromBase64String(Field(kubeconfig, "certificate-authority-data:"))));

    /// <summary>Writes a kubeconfig for the same cluster whose user presents <paramref name="token"/>, or no credentials at all when null.</summary>
    public static string WithToken(string adminKubeconfig, string path, string? token)
    {
        var user = token is null ? "  user: {}" : $"  user:\n    token: {token}";
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: kube-host
              cluster:
                server: {Server(adminKubeconfig)}
                certificate-authority-data: {Field(adminKubeconfig, "certificate-authority-data:")}
            contexts:
            - name: kube-host
              context:
                cluster: kube-host
                user: u
                namespace: default
            current-context: kube-host
            users:
            - name: u
            {user}

            """);
        return path;
    }

    /// <summary>An HttpClient that trusts only the cluster CA and presents no client certificate.</summary>
    public static HttpClient AnonymousHttp(string kubeconfig)
    {
        var ca = ClusterCa(kubeconfig);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                if (cert is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri(Server(kubeconfig)), Timeout = TimeSpan.FromSeconds(10) };
    }

    private static string Field(string kubeconfig, string key)
    {
        foreach (var line in File.ReadLines(kubeconfig))
        {
            var t = line.Trim();
            if (t.StartsWith(key, StringComparison.Ordinal)) return t[key.Length..].Trim();
        }
        throw new InvalidOperationException($"{kubeconfig} has no {key}");
    }
}
