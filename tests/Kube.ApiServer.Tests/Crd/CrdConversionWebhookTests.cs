using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Kube.ApiServer.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Tests.Crd;

/// <summary>
/// CRD conversion webhooks against a real HTTPS webhook on 127.0.0.1 that converts between v1 (spec.host) and v2
/// (spec.hostname): reads, lists and watches in the asked version, writes in the storage version, upstream's failure
/// Status, the ConversionReview version asked for, and the CRD's conversion validation.
/// </summary>
[TestClass]
public sealed class CrdConversionWebhookTests
{
    private const string CrdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    private static WebApplication _webhook = null!;
    private static string _url = "";
    private static string _caBundle = "";
    private static string _pkiDir = "";
    private static string _lastReviewVersion = "";
    private static int _calls;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        _pkiDir = Directory.CreateTempSubdirectory("kube-conversion-pki-").FullName;
        var pki = ClusterPki.CreateOrLoad(Path.Combine(_pkiDir, "pki"));
        _caBundle = Convert.ToBase64String(Encoding.UTF8.GetBytes(pki.CertificateAuthorityPem));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(pki.ServingCertificate())));
        _webhook = builder.Build();
        _webhook.MapPost("/convert", (Delegate)(async (HttpContext ctx) =>
        {
            Interlocked.Increment(ref _calls);
            var review = (await JsonNode.ParseAsync(ctx.Request.Body))!;
            _lastReviewVersion = review["apiVersion"]!.GetValue<string>();
            await ctx.Response.WriteAsJsonAsync(RenameConverter.Answer(review));
        }));
        _webhook.MapPost("/refuse", (Delegate)(async (HttpContext ctx) =>
        {
            var review = (await JsonNode.ParseAsync(ctx.Request.Body))!;
            await ctx.Response.WriteAsJsonAsync(new JsonObject
            {
                ["apiVersion"] = "apiextensions.k8s.io/v1", ["kind"] = "ConversionReview",
                ["response"] = new JsonObject
                {
                    ["uid"] = review["request"]!["uid"]!.GetValue<string>(), ["convertedObjects"] = new JsonArray(),
                    ["result"] = new JsonObject { ["status"] = "Failure", ["message"] = "v1 cannot hold that" },
                },
            });
        }));
        await _webhook.StartAsync();
        _url = _webhook.Urls.First().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
    }

    [ClassCleanup]
    public static async Task CleanupAsync()
    {
        await _webhook.DisposeAsync();
        try { Directory.Delete(_pkiDir, true); } catch (IOException) { }
    }

    private static string Crd(string group, string url, string reviewVersions = """["v1"]""") => RenameConverter.Crd(group, $$"""
        {"strategy":"Webhook","webhook":{"conversionReviewVersions":{{reviewVersions}},"clientConfig":{"url":"{{url}}","caBundle":"{{_caBundle}}"}
        """ + "}}");

    [TestMethod]
    public async Task Webhook_ConvertsReadsListsAndWatches_AndWritesTheStorageVersion()
    {
        await using var cluster = await TestCluster.StartAsync();
        var crd = await cluster.PostAsync(CrdPath, Crd("conv.example.com", _url + "/convert"));
        Assert.AreEqual(201, crd.Code, crd.Body?.ToJsonString());
        const string v1 = "/apis/conv.example.com/v1/namespaces/default/servers";
        const string v2 = "/apis/conv.example.com/v2/namespaces/default/servers";

        var created = await cluster.PostAsync(v2, """{"apiVersion":"conv.example.com/v2","kind":"Server","metadata":{"name":"a","labels":{"x":"1"}},"spec":{"hostname":"alpha"}}""");
        Assert.AreEqual(201, created.Code, created.Body?.ToJsonString());
        Assert.AreEqual("alpha", created.Body!["spec"]!["hostname"]?.GetValue<string>(), "the reply is in the version written");

        var raw = (await cluster.Store.RangeAsync(new Kube.Store.RangeRequest(Encoding.UTF8.GetBytes("/registry/conv.example.com/servers/default/a")))).Kvs.Single();
        var stored = JsonNode.Parse(raw.Value)!;
        Assert.AreEqual("conv.example.com/v1", stored["apiVersion"]!.GetValue<string>(), "stored in the storage version");
        Assert.AreEqual("alpha", stored["spec"]!["host"]?.GetValue<string>(), "the webhook converted it to v1");

        var asV1 = await cluster.GetAsync(v1 + "/a");
        Assert.AreEqual("alpha", asV1.Body!["spec"]!["host"]?.GetValue<string>());
        Assert.IsNull(asV1.Body!["spec"]!["hostname"]);
        var asV2 = await cluster.GetAsync(v2 + "/a");
        Assert.AreEqual("conv.example.com/v2", asV2.Body!["apiVersion"]!.GetValue<string>());
        Assert.AreEqual("alpha", asV2.Body!["spec"]!["hostname"]?.GetValue<string>());
        Assert.AreEqual("1", asV2.Body!["metadata"]!["labels"]!["x"]!.GetValue<string>(), "metadata survives conversion");

        var list = await cluster.GetAsync(v2);
        Assert.AreEqual(200, list.Code, list.Body?.ToJsonString());
        Assert.AreEqual("alpha", list.Body!["items"]![0]!["spec"]!["hostname"]?.GetValue<string>());

        using var watchCts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var watch = await cluster.Http.GetAsync(v2 + "?watch=true&resourceVersion=" + created.Body!["metadata"]!["resourceVersion"], HttpCompletionOption.ResponseHeadersRead, watchCts.Token);
        using var reader = new StreamReader(await watch.Content.ReadAsStreamAsync(watchCts.Token));
        Assert.AreEqual(201, (await cluster.PostAsync(v1, """{"apiVersion":"conv.example.com/v1","kind":"Server","metadata":{"name":"b"},"spec":{"host":"beta"}}""")).Code);
        JsonNode? ev = null;
        while (ev?["object"]?["metadata"]?["name"]?.GetValue<string>() != "b")
            ev = JsonNode.Parse(await reader.ReadLineAsync(watchCts.Token) ?? throw new AssertFailedException("the watch ended"));
        Assert.AreEqual("ADDED", ev!["type"]!.GetValue<string>());
        Assert.AreEqual("conv.example.com/v2", ev["object"]!["apiVersion"]!.GetValue<string>());
        Assert.AreEqual("beta", ev["object"]!["spec"]!["hostname"]?.GetValue<string>(), "watch events are converted to the watched version");
        Assert.AreEqual("apiextensions.k8s.io/v1", _lastReviewVersion);
    }

    [TestMethod]
    public async Task Webhook_UsesTheFirstReviewVersionTheServerSpeaks()
    {
        await using var cluster = await TestCluster.StartAsync();
        Assert.AreEqual(201, (await cluster.PostAsync(CrdPath, Crd("beta.example.com", _url + "/convert", """["v9","v1beta1","v1"]"""))).Code);
        var before = Volatile.Read(ref _calls);
        var created = await cluster.PostAsync("/apis/beta.example.com/v2/namespaces/default/servers",
            """{"apiVersion":"beta.example.com/v2","kind":"Server","metadata":{"name":"a"},"spec":{"hostname":"h"}}""");
        Assert.AreEqual(201, created.Code, created.Body?.ToJsonString());
        Assert.IsTrue(Volatile.Read(ref _calls) > before, "the webhook was called");
        Assert.AreEqual("apiextensions.k8s.io/v1beta1", _lastReviewVersion);
        var asV1 = await cluster.GetAsync("/apis/beta.example.com/v1/namespaces/default/servers/a");
        Assert.AreEqual("h", asV1.Body!["spec"]!["host"]?.GetValue<string>());
    }

    [TestMethod]
    public async Task FailingWebhook_Is500WithUpstreamsMessage()
    {
        await using var cluster = await TestCluster.StartAsync();
        Assert.AreEqual(201, (await cluster.PostAsync(CrdPath, Crd("down.example.com", "https://127.0.0.1:1/convert"))).Code);
        var down = await cluster.PostAsync("/apis/down.example.com/v2/namespaces/default/servers",
            """{"apiVersion":"down.example.com/v2","kind":"Server","metadata":{"name":"a"},"spec":{"hostname":"h"}}""");
        Assert.AreEqual(500, down.Code, down.Body?.ToJsonString());
        var message = down.Body!["message"]!.GetValue<string>();
        StringAssert.StartsWith(message, "conversion webhook for down.example.com/v2, Kind=Server failed: Post \"https://127.0.0.1:1/convert?timeout=30s\": ");
        Assert.IsNull(down.Body["reason"]?.GetValue<string>() is { Length: > 0 } r ? r : null, "upstream's conversion failure has no reason");
        Assert.AreEqual(404, (await cluster.GetAsync("/apis/down.example.com/v1/namespaces/default/servers/a")).Code, "nothing was stored");

        // Same version as storage: no conversion is needed, so the webhook is not called.
        Assert.AreEqual(201, (await cluster.PostAsync("/apis/down.example.com/v1/namespaces/default/servers",
            """{"apiVersion":"down.example.com/v1","kind":"Server","metadata":{"name":"b"},"spec":{"host":"h"}}""")).Code);
        var read = await cluster.GetAsync("/apis/down.example.com/v2/namespaces/default/servers/b");
        Assert.AreEqual(500, read.Code);
        StringAssert.StartsWith(read.Body!["message"]!.GetValue<string>(), "conversion webhook for down.example.com/v1, Kind=Server failed: ");

        Assert.AreEqual(201, (await cluster.PostAsync(CrdPath, Crd("refuse.example.com", _url + "/refuse"))).Code);
        var refused = await cluster.PostAsync("/apis/refuse.example.com/v2/namespaces/default/servers",
            """{"apiVersion":"refuse.example.com/v2","kind":"Server","metadata":{"name":"a"},"spec":{"hostname":"h"}}""");
        Assert.AreEqual(500, refused.Code);
        Assert.AreEqual("conversion webhook for refuse.example.com/v2, Kind=Server failed: v1 cannot hold that", refused.Body!["message"]!.GetValue<string>());
    }

    [TestMethod]
    [DataRow("""{"strategy":"Webhook"}""", "spec.conversion.webhookClientConfig", "Required value: required when strategy is set to Webhook")]
    [DataRow("""{"strategy":"Webhook","webhook":{"clientConfig":{"url":"https://127.0.0.1/c"}}}""", "spec.conversion.conversionReviewVersions", "Required value")]
    [DataRow("""{"strategy":"Webhook","webhook":{"conversionReviewVersions":["v2"],"clientConfig":{"url":"https://127.0.0.1/c"}}}""",
        "spec.conversion.conversionReviewVersions", "Invalid value: []string{\"v2\"}: must include at least one of v1, v1beta1")]
    [DataRow("""{"strategy":"Webhook","webhook":{"conversionReviewVersions":["v1"],"clientConfig":{"url":"http://127.0.0.1/c"}}}""",
        "spec.conversion.webhookClientConfig.url", "Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]")]
    [DataRow("""{"strategy":"Webhook","webhook":{"conversionReviewVersions":["v1"],"clientConfig":{}}}""",
        "spec.conversion.webhookClientConfig", "Required value: exactly one of url or service is required")]
    [DataRow("""{"strategy":"Webhook","webhook":{"conversionReviewVersions":["v1"],"clientConfig":{"service":{"name":"s"}}}}""",
        "spec.conversion.webhookClientConfig.service.namespace", "Required value")]
    [DataRow("""{"strategy":"None","webhook":{"conversionReviewVersions":["v1"],"clientConfig":{"url":"https://127.0.0.1/c"}}}""",
        "spec.conversion.webhookClientConfig", "Forbidden: should not be set when strategy is not set to Webhook")]
    public async Task ConversionSettings_AreValidatedAsUpstream(string conversion, string field, string message)
    {
        await using var cluster = await TestCluster.StartAsync();
        var result = await cluster.PostAsync(CrdPath, RenameConverter.Crd("bad.example.com", conversion));
        Assert.AreEqual(422, result.Code, result.Body?.ToJsonString());
        var causes = result.Body!["details"]!["causes"]!.AsArray();
        Assert.IsTrue(causes.Any(c => c!["field"]!.GetValue<string>() == field && c["message"]!.GetValue<string>() == message),
            $"expected {field}: {message} in {causes.ToJsonString()}");
    }
}
