using System.Net;
using System.Net.Http.Headers;
using System.Text;
using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.Http;

/// <summary>Bad input gets a 4xx Status with a reason (issue 5, hardening), never a 500, a hang or a crash.</summary>
[TestClass]
public sealed class BadInputTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task Init(TestContext _) => _cluster = await TestCluster.StartAsync();

    [ClassCleanup]
    public static async Task Cleanup() => await _cluster.DisposeAsync();

    private static async Task<(int Code, string Reason, string Body)> SendBytesAsync(HttpMethod method, string path, byte[] body, string contentType)
    {
        using var req = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var resp = await _cluster.Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        var reason = System.Text.Json.Nodes.JsonNode.Parse(text)?["reason"]?.GetValue<string>() ?? "";
        return ((int)resp.StatusCode, reason, text);
    }

    [TestMethod]
    [DataRow("/api/v1/nope")]
    [DataRow("/api/v1/namespaces/default/pods/p/nope")]
    public async Task UnknownPath_Is404_WithUpstreamsEmptyDetails(string path)
    {
        // kubectl debug reads details of this 404 (an unserved pods/ephemeralcontainers) and crashed when it was missing
        var r = await SendBytesAsync(HttpMethod.Patch, path, Encoding.UTF8.GetBytes("{}"), "application/strategic-merge-patch+json");
        Assert.AreEqual(404, r.Code, r.Body);
        Assert.AreEqual("NotFound", r.Reason);
        var status = System.Text.Json.Nodes.JsonNode.Parse(r.Body)!;
        Assert.AreEqual("the server could not find the requested resource", status["message"]!.GetValue<string>());
        Assert.IsNotNull(status["details"] as System.Text.Json.Nodes.JsonObject, r.Body);
    }

    [TestMethod]
    public async Task BodyOver3MiB_Is413()
    {
        var big = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"big\"},\"data\":{\"x\":\"" + new string('a', 3 * 1024 * 1024) + "\"}}";
        // With a Content-Length over the limit the server answers 413 without reading the body and closes the connection; a
        // client still uploading may then fail its write (broken pipe) before it reads the answer, so the client here waits
        // for the server's verdict before sending the body (Expect: 100-continue).
        using (var expect = new HttpRequestMessage(HttpMethod.Post, "/api/v1/namespaces/default/configmaps") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(big)) })
        {
            expect.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            expect.Headers.ExpectContinue = true;
            using var answer = await _cluster.Http.SendAsync(expect);
            var body = await answer.Content.ReadAsStringAsync();
            Assert.AreEqual(413, (int)answer.StatusCode, body);
            Assert.AreEqual("RequestEntityTooLarge", System.Text.Json.Nodes.JsonNode.Parse(body)?["reason"]?.GetValue<string>());
        }

        // The same without a Content-Length (chunked): the limit holds while reading.
        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/namespaces/default/configmaps")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))),
        };
        req.Headers.TransferEncodingChunked = true;
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var resp = await _cluster.Http.SendAsync(req);
        Assert.AreEqual(413, (int)resp.StatusCode);
    }

    [TestMethod]
    [DataRow("text/plain")]
    [DataRow("application/xml")]
    [DataRow("multipart/form-data; boundary=x")]
    public async Task UnknownContentType_Is415(string contentType)
    {
        var r = await SendBytesAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", "{}"u8.ToArray(), contentType);
        Assert.AreEqual(415, r.Code, r.Body);
        Assert.AreEqual("UnsupportedMediaType", r.Reason);
        var patch = await SendBytesAsync(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/x", "{}"u8.ToArray(), contentType);
        Assert.AreEqual(415, patch.Code, patch.Body);
    }

    [TestMethod]
    public async Task InvalidUtf8_Is400()
    {
        var body = Encoding.UTF8.GetBytes("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"utf\"},\"data\":{\"x\":\"AB\"}}");
        body[^5] = 0xff;
        var r = await SendBytesAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", body, "application/json");
        Assert.AreEqual(400, r.Code, r.Body);
        Assert.AreEqual("BadRequest", r.Reason);
        var create = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"utf8-target"}}""");
        Assert.AreEqual(201, create.Code);
        var patch = Encoding.UTF8.GetBytes("{\"data\":{\"x\":\"AB\"}}");
        patch[^4] = 0xc3;
        var p = await SendBytesAsync(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/utf8-target", patch, "application/merge-patch+json");
        Assert.AreEqual(400, p.Code, p.Body);
    }

    [TestMethod]
    public async Task DeepNesting_Is400_JsonAndYaml()
    {
        var depth = 100_000;
        var json = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"deep\",\"x\":" + new string('[', depth) + new string(']', depth) + "}}";
        var r = await SendBytesAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", Encoding.UTF8.GetBytes(json), "application/json");
        Assert.AreEqual(400, r.Code, r.Body);

        var yamlFlow = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: " + new string('[', depth) + new string(']', depth) + "\n";
        var a = await SendBytesAsync(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/deep?fieldManager=t", Encoding.UTF8.GetBytes(yamlFlow), "application/apply-patch+yaml");
        Assert.AreEqual(400, a.Code, a.Body);
        var yamlBlock = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: " + string.Concat(Enumerable.Repeat("- ", depth)) + "1\n";
        var b = await SendBytesAsync(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/deep?fieldManager=t", Encoding.UTF8.GetBytes(yamlBlock), "application/apply-patch+yaml");
        Assert.AreEqual(400, b.Code, b.Body);
        var c = await SendBytesAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", Encoding.UTF8.GetBytes(yamlFlow), "application/yaml");
        Assert.AreEqual(400, c.Code, c.Body);
        Assert.AreEqual(200, (await _cluster.GetAsync("/healthz")).Code);
    }

    [TestMethod]
    public async Task YamlBody_IsAccepted()
    {
        var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: \"1\"\n";
        var r = await SendBytesAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", Encoding.UTF8.GetBytes(yaml), "application/yaml");
        Assert.AreEqual(201, r.Code, r.Body);
    }

    [TestMethod]
    [DataRow("{\"Bad Key\":\"v\"}", "metadata.labels")]
    [DataRow("{\"a/b/c\":\"v\"}", "metadata.labels")]
    [DataRow("{\"-a\":\"v\"}", "metadata.labels")]
    [DataRow("{\"UPPER_.example/x\":\"v\"}", "metadata.labels")]
    [DataRow("{\"k\":\"a value with spaces\"}", "metadata.labels")]
    [DataRow("{\"k\":\"-starts-with-dash\"}", "metadata.labels")]
    public async Task InvalidLabels_Are422_NamingTheField(string labels, string field)
    {
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps",
            $$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bad-labels","labels":{{labels}} } }""");
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("Invalid", r.Body!["reason"]!.GetValue<string>());
        Assert.AreEqual(field, r.Body["details"]!["causes"]![0]!["field"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task OversizedLabelsAndAnnotations_Are422()
    {
        var longKey = new string('k', 64);
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps",
            $$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"long-label","labels":{"{{longKey}}":"v"} } }""");
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        StringAssert.Contains(r.Body!["message"]!.GetValue<string>(), "must be no more than 63 characters");
        var longValue = new string('v', 64);
        r = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps",
            $$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"long-value","labels":{"k":"{{longValue}}"} } } """);
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());

        var big = new string('a', 300 * 1024);
        r = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps",
            $$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big-annotations","annotations":{"note":"{{big}}"} } } """);
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("FieldValueTooLong", r.Body!["details"]!["causes"]![0]!["reason"]!.GetValue<string>());
        Assert.AreEqual("metadata.annotations", r.Body!["details"]!["causes"]![0]!["field"]!.GetValue<string>());

        var fits = new string('a', 200 * 1024);
        r = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps",
            $$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fits-annotations","annotations":{"example.com/note":"{{fits}}"} } } """);
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
    }

    [TestMethod]
    [DataRow("/api/v1/namespaces/default/configmaps/a%25b")]
    [DataRow("/api/v1/namespaces/a%25b/configmaps/x")]
    [DataRow("/api/v1/namespaces/a%25b/configmaps")]
    public async Task NamesWithPercentOrSlash_Are400(string path)
    {
        var r = await _cluster.GetAsync(path);
        Assert.AreEqual(400, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("BadRequest", r.Body!["reason"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task DotDotNames_Are400_InProcess_And422_InBodies()
    {
        var e = await Assert.ThrowsAsync<KubeApiException>(() => _cluster.Client.GetAsync<V1ConfigMap>("..", "default"));
        Assert.AreEqual(400, e.Status.Code);
        StringAssert.Contains(e.Status.Message, "may not be '..'");
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"../etc"}}""");
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("metadata.name", r.Body!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
    }

    [TestMethod]
    [DataRow("labelSelector=a%20in%20(")]
    [DataRow("labelSelector=!!a")]
    [DataRow("fieldSelector=metadata.name%3D%3D%3Dx")]
    [DataRow("limit=abc")]
    [DataRow("timeoutSeconds=-x")]
    [DataRow("resourceVersion=abc&watch=true")]
    public async Task MalformedQuery_Is400(string query)
    {
        var r = await _cluster.GetAsync("/api/v1/namespaces/default/pods?" + query);
        Assert.AreEqual(400, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("BadRequest", r.Body!["reason"]!.GetValue<string>());
    }

    [TestMethod]
    [DataRow("/apis/apps/v1/deployments")]
    [DataRow("/api/v1/configmaps")]
    [DataRow("/api/v1/namespaces")]
    public async Task DeleteCollection_AcrossNamespacesOrOfNamespaces_Is405(string path)
    {
        var r = await _cluster.SendAsync(HttpMethod.Delete, path);
        Assert.AreEqual(405, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("MethodNotAllowed", r.Body!["reason"]!.GetValue<string>());
        Assert.AreEqual(200, (await _cluster.GetAsync("/api/v1/namespaces/default")).Code);
    }

    /// <summary>Holds creates of ConfigMaps named "hold-*" until released, so requests stay in flight.</summary>
    private sealed class HoldingPlugin : IAdmissionPlugin
    {
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Holding;
        public string Name => "Holding";
        public bool IsMutating => true;
        public bool Handles(AdmissionRequest request) => request.Name?.StartsWith("hold-", StringComparison.Ordinal) == true;

        public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Holding);
            await Release.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
    }

    [TestMethod]
    public async Task MaxMutatingInFlight_Gets429WithRetryAfter_ThenRecovers()
    {
        var plugin = new HoldingPlugin();
        var services = new ServiceCollection().AddSingleton<IAdmissionPlugin>(plugin).BuildServiceProvider();
        await using var cluster = await TestCluster.StartAsync(o => o.MaxMutatingRequestsInFlight = 2, services);
        var held = Enumerable.Range(0, 2).Select(i => cluster.PostAsync("/api/v1/namespaces/default/configmaps",
            $$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hold-{{i}}"} } """)).ToList();
        await TestCluster.WaitForAsync(() => Task.FromResult(Volatile.Read(ref plugin.Holding) == 2), TimeSpan.FromSeconds(10), "two creates held in admission");

        var rejected = await cluster.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"third"}}""");
        Assert.AreEqual(429, rejected.Code, rejected.Body?.ToJsonString());
        Assert.AreEqual("TooManyRequests", rejected.Body!["reason"]!.GetValue<string>());
        Assert.AreEqual(TimeSpan.FromSeconds(1), rejected.Response.Headers.RetryAfter?.Delta);
        Assert.AreEqual(200, (await cluster.GetAsync("/api/v1/namespaces/default/configmaps")).Code, "reads have their own limit");

        plugin.Release.SetResult();
        foreach (var h in held) Assert.AreEqual(201, (await h).Code);
        var after = await cluster.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"third"}}""");
        Assert.AreEqual(201, after.Code, after.Body?.ToJsonString());
    }
}
