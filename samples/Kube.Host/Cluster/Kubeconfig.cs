using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kube.ApiServer.Security;

namespace Kube.Host.Cluster;

/// <summary>
/// Writes the admin kubeconfig (mode 0600) that kubectl 1.32, KubernetesClient and the Python client use as they
/// are: the HTTPS server, the cluster CA and the admin client certificate (CN=kubernetes-admin, O=system:masters),
/// all embedded; cluster, context and user are named kube-host, kube-host and admin, the namespace is default.
/// </summary>
internal static class Kubeconfig
{
    public static string Write(string dataDir, Uri server, ClusterPki pki) =>
        WriteFor(Path.Combine(dataDir, "kubeconfig"), server, pki, pki.AdminCertificate(), "admin", "default");

    /// <summary>A kubeconfig for <paramref name="client"/> at <paramref name="path"/> (mode 0600, replaced atomically).</summary>
    public static string WriteFor(string path, Uri server, ClusterPki pki, X509Certificate2 client, string user, string? @namespace)
    {
        static string B64(string pem) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));
        var key = client.GetECDsaPrivateKey()?.ExportPkcs8PrivateKeyPem()
            ?? client.GetRSAPrivateKey()?.ExportPkcs8PrivateKeyPem()
            ?? throw new InvalidOperationException("the client certificate has no private key");
        var ns = @namespace is null ? "" : $"\n    namespace: {@namespace}";
        var text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: kube-host
              cluster:
                server: {server.GetLeftPart(UriPartial.Authority)}
                certificate-authority-data: {B64(pki.CertificateAuthorityPem)}
            contexts:
            - name: kube-host
              context:
                cluster: kube-host
                user: "{user}"{ns}
            current-context: kube-host
            users:
            - name: "{user}"
              user:
                client-certificate-data: {B64(client.ExportCertificatePem())}
                client-key-data: {B64(key)}

            """;
        var tmp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var f = new FileStream(tmp, options))
        using (var w = new StreamWriter(f, new UTF8Encoding(false)))
        {
            w.Write(text);
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, path, overwrite: true);
        return path;
    }
}
