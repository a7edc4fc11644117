using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests.Compat;

/// <summary>
/// kubectl 1.32 against <c>kube-host up</c>: a two-version CRD whose <c>spec.conversion</c> is a Webhook on
/// https://127.0.0.1 (url clientConfig, caBundle). The test's webhook keeps the host name in <c>spec.host</c> in v1 and
/// <c>spec.hostname</c> in v2; an object created as v1 reads back through <c>kubectl get</c> as v2 with the renamed field.
/// </summary>
[TestClass]
public sealed class CrdConversionE2ETests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static KubeHostProcess? _host;
    private static Kubectl? _kubectl;
    private static TcpListener? _listener;
    private static X509Certificate2? _cert;
    private static CancellationTokenSource? _stop;
    private static Task? _serving;
    private static int _calls;
    private static string _dir = "";

    private static Kubectl K => _kubectl!;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        if (Kubectl.Path is null) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-crdconv-").FullName;
        _cert = SelfSignedLoopbackCertificate();
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _stop = new CancellationTokenSource();
        _serving = ServeAsync(_listener, _cert, _stop.Token);
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"));
        _kubectl = new Kubectl(_host.Kubeconfig, Path.Combine(_dir, "kubecache"));
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        _stop?.Cancel();
        _listener?.Stop();
        if (_serving is not null) await _serving;
        _cert?.Dispose();
        _kubectl?.Dispose();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [TestInitialize]
    public void RequireKubectl() => Kubectl.RequireInstalled();

    [TestMethod]
    public async Task CreatedAsV1_GetAsV2_ShowsTheFieldTheWebhookRenamed()
    {
        var port = ((IPEndPoint)_listener!.LocalEndpoint).Port;
        var ca = Convert.ToBase64String(Encoding.UTF8.GetBytes(_cert!.ExportCertificatePem()));
        var crd = """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: servers.conv.e2e.example.com}
            spec:
              group: conv.e2e.example.com
              scope: Namespaced
              names: {kind: Server, plural: servers, singular: server}
              conversion:
                strategy: Webhook
                webhook:
                  conversionReviewVersions: [v1]
                  clientConfig: {url: "https://127.0.0.1:PORT/convert", caBundle: CABUNDLE}
              versions:
              - name: v1
                served: true
                storage: true
                schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {host: {type: string}}}}}}
              - name: v2
                served: true
                storage: false
                schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {hostname: {type: string}}}}}}
            """.Replace("PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("CABUNDLE", ca, StringComparison.Ordinal);
        await K.OkAsync($"apply -f {K.WriteFile("crd.yaml", crd)}");
        await K.OkAsync("wait --for=condition=Established crd/servers.conv.e2e.example.com --timeout=60s", timeout: Wait);
        await K.OkAsync($"apply -f {K.WriteFile("server.yaml", "apiVersion: conv.e2e.example.com/v1\nkind: Server\nmetadata: {name: alpha}\nspec: {host: alpha.example.com}\n")}");

        var asV2 = await K.OkAsync("get servers.v2.conv.e2e.example.com alpha -o jsonpath={.apiVersion}/{.spec.hostname}/{.spec.host}");
        Assert.AreEqual("conv.e2e.example.com/v2/alpha.example.com/", asV2.Trim(), "v2 carries the renamed field, not the v1 one");
        Assert.IsTrue(Volatile.Read(ref _calls) > 0, "the webhook was called");
        var asV1 = await K.OkAsync("get servers.v1.conv.e2e.example.com alpha -o jsonpath={.spec.host}");
        Assert.AreEqual("alpha.example.com", asV1.Trim());
        var table = await K.OkAsync("get servers.v2.conv.e2e.example.com");
        StringAssert.Contains(table, "alpha", table);
    }

    /// <summary>A self-signed serving certificate for 127.0.0.1 (its own CA, given to the CRD as caBundle).</summary>
    private static X509Certificate2 SelfSignedLoopbackCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=conversion-webhook", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    /// <summary>A minimal HTTPS/1.1 server: one ConversionReview per connection, answered and closed.</summary>
    private static async Task ServeAsync(TcpListener listener, X509Certificate2 cert, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using var _ = client;
                try
                {
                    using var tls = new SslStream(client.GetStream());
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(TimeSpan.FromSeconds(30));
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = cert }, timeout.Token);
                    var body = await ReadRequestBodyAsync(tls, timeout.Token);
                    var reply = Encoding.UTF8.GetBytes(ConvertReview(JsonNode.Parse(body)!).ToJsonString());
                    Interlocked.Increment(ref _calls);
                    await tls.WriteAsync(Encoding.ASCII.GetBytes(
                        $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {reply.Length}\r\nConnection: close\r\n\r\n"), timeout.Token);
                    await tls.WriteAsync(reply, timeout.Token);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or AuthenticationException or System.Text.Json.JsonException)
                {
                    // a client that went away or sent garbage: the API server reports its own error
                }
            }, CancellationToken.None);
        }
    }

    private static async Task<byte[]> ReadRequestBodyAsync(Stream s, CancellationToken ct)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!(buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n'))
        {
            if (buffer.Count > 64 * 1024 || await s.ReadAsync(one, ct) == 0) throw new IOException("incomplete request head");
            buffer.Add(one[0]);
        }
        var head = Encoding.ASCII.GetString([.. buffer]);
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            ?? throw new IOException("no Content-Length");
        var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var body = new byte[length];
        await s.ReadExactlyAsync(body, ct);
        return body;
    }

    /// <summary>The webhook's answer: each object gets the desired apiVersion and spec.host and spec.hostname swap names.</summary>
    private static JsonObject ConvertReview(JsonNode review)
    {
        var request = review["request"]!;
        var desired = request["desiredAPIVersion"]!.GetValue<string>();
        var toV2 = desired.EndsWith("/v2", StringComparison.Ordinal);
        var objects = new JsonArray();
        foreach (var item in request["objects"]!.AsArray())
        {
            var obj = item!.DeepClone().AsObject();
            obj["apiVersion"] = desired;
            if (obj["spec"] is JsonObject spec)
            {
                var value = spec[toV2 ? "host" : "hostname"]?.DeepClone();
                spec.Remove(toV2 ? "host" : "hostname");
                if (value is not null) spec[toV2 ? "hostname" : "host"] = value;
            }
            objects.Add(obj);
        }
        var response = new JsonObject { ["uid"] = request["uid"]!.GetValue<string>(), ["convertedObjects"] = objects, ["result"] = new JsonObject { ["status"] = "Success" } };
        return new JsonObject { ["apiVersion"] = "apiextensions.k8s.io/v1", ["kind"] = "ConversionReview", ["response"] = response };
    }
}
