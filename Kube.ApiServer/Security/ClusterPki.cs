using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kube.ApiServer.Security;

/// <summary>
/// A cluster's certificates, like k3s: a self-signed CA made on first start, a serving certificate for the API
/// server, and client certificates for the administrator and the components (CN = user, O = groups), all ECDSA
/// P-256. Certificates are PEM files (<c>name.crt</c>) with their keys (<c>name.key</c>, PKCS#8, mode 0600) in one
/// directory; existing files are reused while they are valid for another <see cref="RenewBefore"/>.
/// </summary>
public sealed class ClusterPki
{
    /// <summary>The kubernetes service IP, as the host assigns it.</summary>
    public const string DefaultServiceIp = "127.10.0.1";

    /// <summary>The administrator's user and group, as kubeadm's admin.conf.</summary>
    public const string AdminUser = "kubernetes-admin";

    /// <summary>The user the API server is to kubelets (upstream's kubeadm: <c>kube-apiserver-kubelet-client</c>).</summary>
    public const string ApiServerKubeletClientUser = "kube-apiserver-kubelet-client";

    private static readonly TimeSpan CaValidity = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafValidity = TimeSpan.FromDays(365);

    /// <summary>Leaf certificates closer than this to expiry are reissued on load. 30 days.</summary>
    public static TimeSpan RenewBefore { get; } = TimeSpan.FromDays(30);

    private readonly TimeProvider _time;

    private ClusterPki(string directory, X509Certificate2 ca, TimeProvider time)
    {
        Directory = directory;
        CertificateAuthority = ca;
        _time = time;
    }

    /// <summary>Where the PEM files are.</summary>
    public string Directory { get; }

    /// <summary>The cluster CA, with its private key.</summary>
    public X509Certificate2 CertificateAuthority { get; }

    /// <summary>The CA as PEM (what kubeconfigs embed as certificate-authority-data).</summary>
    public string CertificateAuthorityPem => CertificateAuthority.ExportCertificatePem();

    /// <summary>
    /// Whether <paramref name="cert"/> chains to one of <paramref name="roots"/> (and only those: the machine's store is
    /// not consulted; revocation is not checked). What a TLS client of a cluster-CA-signed server validates.
    /// </summary>
    public static bool ChainsTo(X509Certificate2 cert, params ReadOnlySpan<X509Certificate2> roots)
    {
        ArgumentNullException.ThrowIfNull(cert);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        foreach (var root in roots) chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert);
    }

    /// <summary>Loads the CA from <paramref name="directory"/> (<c>ca.crt</c>, <c>ca.key</c>), creating it (and the directory, mode 0700) when missing.</summary>
    public static ClusterPki CreateOrLoad(string directory, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        time ??= TimeProvider.System;
        if (!System.IO.Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows()) System.IO.Directory.CreateDirectory(directory);
            else System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var crt = Path.Combine(directory, "ca.crt");
        var key = Path.Combine(directory, "ca.key");
        X509Certificate2 ca;
        if (File.Exists(crt) && File.Exists(key))
        {
            ca = X509Certificate2.CreateFromPemFile(crt, key);
        }
        else
        {
            using var k = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest($"CN=kube-ca-{time.GetUtcNow().ToUnixTimeSeconds()}", k, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
            req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
            var now = time.GetUtcNow();
            using var self = req.CreateSelfSigned(now.AddMinutes(-5), now + CaValidity);
            Write(directory, "ca", self.ExportCertificatePem(), k.ExportPkcs8PrivateKeyPem());
            ca = X509Certificate2.CreateFromPemFile(crt, key);
        }
        return new ClusterPki(directory, ca, time);
    }

    /// <summary>
    /// The API server's serving certificate (<c>apiserver.crt</c>): SANs 127.0.0.1, localhost, the host name, kubernetes,
    /// kubernetes.default, kubernetes.default.svc, kubernetes.default.svc.cluster.local, <paramref name="serviceIp"/> and
    /// <paramref name="extraNames"/>. Reissued when a SAN is missing.
    /// </summary>
    public X509Certificate2 ServingCertificate(string serviceIp = DefaultServiceIp, IEnumerable<string>? extraNames = null)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal)
        {
            "127.0.0.1", "localhost", Dns.GetHostName(), "kubernetes", "kubernetes.default", "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local", serviceIp,
        };
        foreach (var n in extraNames ?? []) names.Add(n);
        return LoadOrIssue("apiserver", "CN=kube-apiserver", serverNames: names, clientAuth: false,
            c => names.All(n => c.MatchesHostname(n, allowWildcards: false, allowCommonName: false)));
    }

    /// <summary>
    /// A node agent's kubelet serving certificate (<c>kubelet-&lt;node&gt;.crt</c>, upstream's <c>--tls-cert-file</c>): CN=&lt;node&gt;,
    /// SANs 127.0.0.1, localhost and the node's name. Reissued when a SAN is missing.
    /// </summary>
    public X509Certificate2 KubeletServingCertificate(string node)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        var names = new SortedSet<string>(StringComparer.Ordinal) { "127.0.0.1", "localhost", node };
        return LoadOrIssue("kubelet-" + node, "CN=" + node, serverNames: names, clientAuth: false,
            c => names.All(n => c.MatchesHostname(n, allowWildcards: false, allowCommonName: false)));
    }

    /// <summary>
    /// The API server's client certificate for kubelets (<c>apiserver-kubelet-client.crt</c>): CN=kube-apiserver-kubelet-client and
    /// no group - least privilege: the bootstrap binding <c>kube-apiserver-kubelet-admin</c> gives it <c>system:kubelet-api-admin</c>,
    /// which is what a kubelet's SubjectAccessReview asks about.
    /// </summary>
    public X509Certificate2 ApiServerKubeletClientCertificate() =>
        ClientCertificate("apiserver-kubelet-client", ApiServerKubeletClientUser, []);

    /// <summary>A client certificate (<c>name.crt</c>) for <paramref name="user"/> in <paramref name="groups"/>; reused when it matches.</summary>
    public X509Certificate2 ClientCertificate(string fileName, string user, IEnumerable<string> groups)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentException.ThrowIfNullOrEmpty(user);
        var dn = new X500DistinguishedNameBuilder();
        foreach (var g in groups) dn.AddOrganizationName(g);
        dn.AddCommonName(user);
        var subject = dn.Build();
        return LoadOrIssue(fileName, subject.Name, serverNames: null, clientAuth: true, c => c.SubjectName.Name == subject.Name, subject);
    }

    /// <summary>The administrator's certificate: CN=kubernetes-admin, O=system:masters.</summary>
    public X509Certificate2 AdminCertificate() => ClientCertificate("admin", AdminUser, [Authorization.RbacAuthorizer.SuperuserGroup]);

    /// <summary>A node agent's certificate: CN=system:node:&lt;node&gt;, O=system:nodes.</summary>
    public X509Certificate2 NodeCertificate(string node) =>
        ClientCertificate("node-" + node, Authorization.NodeAuthorizer.NodeUserPrefix + node, [Authorization.NodeAuthorizer.NodesGroup]);

    /// <summary>The ServiceAccount token signing key (<c>sa.key</c>, P-256, mode 0600), created when missing.</summary>
    public ECDsa ServiceAccountKey()
    {
        var path = Path.Combine(Directory, "sa.key");
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            WriteSecret(path, key.ExportPkcs8PrivateKeyPem());
        }
        return key;
    }

    /// <summary>A kubeconfig for <paramref name="server"/> authenticating with <paramref name="client"/>, everything embedded as base64 PEM.</summary>
    public string Kubeconfig(Uri server, X509Certificate2 client, string clusterName = "kube", string? userName = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(client);
        userName ??= client.GetNameInfo(X509NameType.SimpleName, false);
        var context = $"{userName}@{clusterName}";
        static string B64(string pem) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));
        var key = client.GetECDsaPrivateKey()?.ExportPkcs8PrivateKeyPem()
            ?? client.GetRSAPrivateKey()?.ExportPkcs8PrivateKeyPem()
            ?? throw new ArgumentException("the client certificate has no private key", nameof(client));
        var serverText = server.GetLeftPart(UriPartial.Authority);
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: {clusterName}
              cluster:
                server: {serverText}
                certificate-authority-data: {B64(CertificateAuthorityPem)}
            users:
            - name: "{userName}"
              user:
                client-certificate-data: {B64(client.ExportCertificatePem())}
                client-key-data: {B64(key)}
            contexts:
            - name: "{context}"
              context:
                cluster: {clusterName}
                user: "{userName}"
            current-context: "{context}"
            preferences: {"{}"}

            """;
    }

    /// <summary>Writes <see cref="Kubeconfig"/> to <paramref name="path"/> with mode 0600.</summary>
    public void WriteKubeconfig(string path, Uri server, X509Certificate2 client, string clusterName = "kube")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        WriteSecret(path, Kubeconfig(server, client, clusterName));
    }

    private X509Certificate2 LoadOrIssue(string name, string subject, IEnumerable<string>? serverNames, bool clientAuth, Func<X509Certificate2, bool> fits,
        X500DistinguishedName? subjectName = null)
    {
        var crt = Path.Combine(Directory, name + ".crt");
        var keyPath = Path.Combine(Directory, name + ".key");
        var now = _time.GetUtcNow();
        if (File.Exists(crt) && File.Exists(keyPath))
        {
            var existing = X509Certificate2.CreateFromPemFile(crt, keyPath);
            if (existing.NotAfter.ToUniversalTime() - now.UtcDateTime > RenewBefore && existing.IssuerName.RawData.AsSpan().SequenceEqual(CertificateAuthority.SubjectName.RawData) && fits(existing))
                return existing;
            existing.Dispose();
        }
        using var k = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subjectName ?? new X500DistinguishedName(subject), k, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(clientAuth ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1")], false));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(CertificateAuthority, true, false));
        if (serverNames is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var n in serverNames)
            {
                if (IPAddress.TryParse(n, out var ip)) san.AddIpAddress(ip);
                else san.AddDnsName(n);
            }
            req.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var notAfter = now + LeafValidity;
        if (notAfter > CertificateAuthority.NotAfter.ToUniversalTime()) notAfter = CertificateAuthority.NotAfter.ToUniversalTime();
        using var issued = req.Create(CertificateAuthority, now.AddMinutes(-5), notAfter, serial);
        Write(Directory, name, issued.ExportCertificatePem(), k.ExportPkcs8PrivateKeyPem());
        return X509Certificate2.CreateFromPemFile(crt, keyPath);
    }

    private static void Write(string directory, string name, string certPem, string keyPem)
    {
        WriteSecret(Path.Combine(directory, name + ".key"), keyPem);
        var tmp = Path.Combine(directory, name + ".crt.tmp");
        File.WriteAllText(tmp, certPem);
        File.Move(tmp, Path.Combine(directory, name + ".crt"), overwrite: true);
    }

    /// <summary>Writes a file readable by its owner only (mode 0600), replacing it atomically.</summary>
    internal static void WriteSecret(string path, string text)
    {
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
    }
}
