using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kube.Node.Runtime.Simulated;
using Kube.Node.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests.Server;

/// <summary>The kubelet server with <see cref="KubeletServerOptions.Tls"/>: HTTPS only, client certificates from the CA, authorized users.</summary>
[TestClass]
public sealed class KubeletServerTlsTests
{
    private static X509Certificate2 _ca = null!;
    private static X509Certificate2 _otherCa = null!;
    private KubeletServer _server = null!;

    [ClassInitialize]
    public static void ClassInit(TestContext _)
    {
        _ca = NewCa("kube-ca");
        _otherCa = NewCa("other-ca");
    }

    [ClassCleanup]
    public static void ClassCleanup()
    {
        _ca.Dispose();
        _otherCa.Dispose();
    }

    [TestInitialize]
    public void Init()
    {
        var serving = Issue(_ca, "CN=kubelet", server: true);
        _server = new KubeletServer(new KubeletServerOptions { Tls = new KubeletServerTlsOptions { ServingCertificate = serving, ClientCertificateAuthority = _ca } },
            new SimulatedRuntime(), TimeProvider.System, NullLogger.Instance)
        {
            SummaryProvider = _ => Task.FromResult("{\"node\":{}}"),
        };
        _server.Start();
    }

    [TestCleanup]
    public async Task Cleanup() => await _server.DisposeAsync();

    private HttpClient Client(X509Certificate2? clientCert, string scheme = "https")
    {
        var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        if (clientCert is not null) handler.SslOptions.ClientCertificates = [clientCert];
        return new HttpClient(handler) { BaseAddress = new Uri($"{scheme}://127.0.0.1:{_server.Port}/"), Timeout = TimeSpan.FromSeconds(20) };
    }

    [TestMethod]
    public async Task NoClientCertificate_Is401()
    {
        using var http = Client(null);
        using var response = await http.GetAsync("stats/summary");
        Assert.AreEqual(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [TestMethod]
    public async Task CertificateFromAnotherCa_Is401()
    {
        using var cert = Issue(_otherCa, "CN=kube-apiserver-kubelet-client, O=system:masters", server: false);
        using var http = Client(cert);
        using var response = await http.GetAsync("stats/summary");
        Assert.AreEqual(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [TestMethod]
    public async Task ApiServerClientCertificate_IsServed_AndSecondRequestOnTheConnectionToo()
    {
        using var cert = Issue(_ca, "CN=kube-apiserver-kubelet-client", server: false);
        using var http = Client(cert);
        Assert.AreEqual("{\"node\":{}}", await http.GetStringAsync("stats/summary"));
        Assert.AreEqual("ok", await http.GetStringAsync("healthz"));
    }

    [TestMethod]
    public async Task SystemMasters_IsServed_OtherUsers_Are403()
    {
        using var admin = Issue(_ca, "CN=someone, O=system:masters", server: false);
        using (var http = Client(admin))
        {
            Assert.AreEqual("ok", await http.GetStringAsync("healthz"));
        }

        using var node = Issue(_ca, "CN=system:node:other, O=system:nodes", server: false);
        using var nodeHttp = Client(node);
        using var response = await nodeHttp.GetAsync("containerLogs/default/p/c");
        Assert.AreEqual(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [TestMethod]
    public async Task PlainHttp_IsNotServed()
    {
        using var http = Client(null, "http");
        await Assert.ThrowsExactlyAsync<HttpRequestException>(() => http.GetAsync("healthz"));
    }

    private static X509Certificate2 NewCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            req.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var cert = req.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(12), serial);
        using var withKey = cert.CopyWithPrivateKey(key);
        // A PFX round trip: SslStream on Linux wants a key it can export to OpenSSL.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
    }
}
