using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using Kube.ApiServer.Security;
using Kube.ApiServer.Tests.Kubectl;

namespace Kube.ApiServer.Tests.Security;

/// <summary>HTTPS with the cluster PKI: x509 client certificates, the admin kubeconfig for kubectl and KubernetesClient, node identities.</summary>
[TestClass]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TlsTests
{
    private static TestCluster _cluster = null!;
    private static ClusterPki _pki = null!;
    private static string _pkiDir = null!;
    private static Uri _https = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        _pkiDir = Path.Combine(Path.GetTempPath(), "kube-pki-tests", Guid.NewGuid().ToString("n"), "pki");
        _pki = ClusterPki.CreateOrLoad(_pkiDir);
        var serving = _pki.ServingCertificate();
        _cluster = await TestCluster.StartAsync(o => o.Security = new ApiServerSecurityOptions
        {
            ServingCertificate = serving,
            ClientCertificateAuthority = _pki.CertificateAuthority,
        });
        _https = _cluster.Server.BaseAddress;
    }

    [ClassCleanup]
    public static async Task CleanupAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_pkiDir)!, recursive: true);
    }

    private HttpClient ClientWith(X509Certificate2? cert)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, c, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(_pki.CertificateAuthority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return c is not null && chain.Build(c);
            },
        };
        if (cert is not null) handler.ClientCertificates.Add(cert);
        return new HttpClient(handler) { BaseAddress = _https };
    }

    [TestMethod]
    public void Pki_WritesKeysOwnerOnly_AndReusesThemOnReload()
    {
        Assert.AreEqual("https", _https.Scheme);
        foreach (var key in Directory.GetFiles(_pkiDir, "*.key"))
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key), key);
        var serving = _pki.ServingCertificate();
        foreach (var n in new[] { "127.0.0.1", "localhost", "kubernetes.default.svc.cluster.local", "127.10.0.1", System.Net.Dns.GetHostName() })
            Assert.IsTrue(serving.MatchesHostname(n, false, false), n);
        var again = ClusterPki.CreateOrLoad(_pkiDir);
        Assert.AreEqual(_pki.CertificateAuthority.Thumbprint, again.CertificateAuthority.Thumbprint);
        Assert.AreEqual(serving.Thumbprint, again.ServingCertificate().Thumbprint);
    }

    [TestMethod]
    public async Task ClientCertificate_IsTheIdentity_AndForeignCertificatesAre401()
    {
        using (var none = ClientWith(null))
            Assert.AreEqual(401, (int)(await none.GetAsync("/api/v1/namespaces")).StatusCode);

        using var node = ClientWith(_pki.NodeCertificate("n1"));
        var resp = await node.PostAsync("/apis/authentication.k8s.io/v1/selfsubjectreviews",
            new StringContent("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""", Encoding.UTF8, "application/json"));
        var text = await resp.Content.ReadAsStringAsync();
        Assert.AreEqual(201, (int)resp.StatusCode, text);
        StringAssert.Contains(text, "\"username\":\"system:node:n1\"");
        StringAssert.Contains(text, "\"system:nodes\"");
        Assert.AreEqual(200, (int)(await node.GetAsync("/api/v1/nodes")).StatusCode, "the Node authorizer lets nodes read nodes");
        Assert.AreEqual(403, (int)(await node.GetAsync("/api/v1/namespaces/default/secrets")).StatusCode);

        var otherDir = Path.Combine(Path.GetDirectoryName(_pkiDir)!, "other");
        var foreign = ClusterPki.CreateOrLoad(otherDir).AdminCertificate();
        using var impostor = ClientWith(foreign);
        Assert.AreEqual(401, (int)(await impostor.GetAsync("/api/v1/namespaces")).StatusCode, "a certificate from another CA is no identity");
    }

    [TestMethod]
    public async Task AdminKubeconfig_WorksWithKubernetesClient()
    {
        var path = Path.Combine(Path.GetDirectoryName(_pkiDir)!, "admin-cs.kubeconfig");
        _pki.WriteKubeconfig(path, _https, _pki.AdminCertificate());
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
        using var client = new Kubernetes(config);
        var namespaces = await client.CoreV1.ListNamespaceAsync();
        CollectionAssert.Contains(namespaces.Items.Select(n => n.Metadata.Name).ToList(), "kube-system");
    }

    [TestMethod]
    public async Task AdminKubeconfig_WorksWithKubectl()
    {
        KubectlRunner.RequireInstalled();
        var path = Path.Combine(Path.GetDirectoryName(_pkiDir)!, "admin-kubectl.kubeconfig");
        _pki.WriteKubeconfig(path, _https, _pki.AdminCertificate());
        using var kubectl = KubectlRunner.ForServer(_https);
        var (code, stdout, stderr) = await kubectl.RunArgsAsync("--kubeconfig", path, "get", "namespaces", "-o", "name");
        Assert.AreEqual(0, code, stderr);
        StringAssert.Contains(stdout, "namespace/kube-system");
        (code, stdout, stderr) = await kubectl.RunArgsAsync("--kubeconfig", path, "auth", "can-i", "delete", "pods", "--as", "nobody");
        Assert.AreEqual("no", stdout.Trim(), stderr);
        (code, stdout, _) = await kubectl.RunArgsAsync("--kubeconfig", path, "auth", "can-i", "delete", "pods");
        Assert.AreEqual("yes", stdout.Trim());
    }
}
