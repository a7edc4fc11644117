using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Admission;
using Kube.ApiServer.InProcess;
using Kube.ApiServer.Security;
using Kube.Core.Admission;
using Kube.Core.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.Security;

/// <summary>Admission webhooks against a real HTTPS webhook server (AdmissionReview v1, caBundle, JSONPatch, selectors, failurePolicy).</summary>
[TestClass]
public sealed partial class WebhookAdmissionTests
{
    private static TestCluster _cluster = null!;
    private static WebApplication _webhook = null!;
    private static string _url = "";
    private static byte[] _caBundle = [];
    private static string _pkiDir = "";
    private static int _calls;
    private static IKubeClient _client = null!;
    private static int _port;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        _pkiDir = Directory.CreateTempSubdirectory("kube-webhook-pki-").FullName;
        var pki = ClusterPki.CreateOrLoad(Path.Combine(_pkiDir, "pki"));
        var serving = pki.ServingCertificate(extraNames: ["hook.wh-hooks.svc"]);
        _caBundle = Encoding.UTF8.GetBytes(pki.CertificateAuthorityPem);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(serving)));
        _webhook = builder.Build();
        _webhook.MapPost("/mutate", (Delegate)(async (HttpContext ctx) =>
        {
            Interlocked.Increment(ref _calls);
            var review = (await JsonNode.ParseAsync(ctx.Request.Body))!;
            var patch = """[{"op":"add","path":"/metadata/labels","value":{"mutated":"yes"}}]""";
            await ctx.Response.WriteAsJsonAsync(new JsonObject
            {
                ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview",
                ["response"] = new JsonObject
                {
                    ["uid"] = review["request"]!["uid"]!.GetValue<string>(), ["allowed"] = true, ["patchType"] = "JSONPatch",
                    ["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch)), ["warnings"] = new JsonArray("mutated by test"),
                },
            });
        }));
        _webhook.MapPost("/validate", (Delegate)(async (HttpContext ctx) =>
        {
            Interlocked.Increment(ref _calls);
            var review = (await JsonNode.ParseAsync(ctx.Request.Body))!;
            var request = review["request"]!;
            var allowed = request["object"]?["data"]?["forbidden"] is null;
            var response = new JsonObject { ["uid"] = request["uid"]!.GetValue<string>(), ["allowed"] = allowed };
            if (!allowed) response["status"] = new JsonObject { ["code"] = 403, ["reason"] = "Forbidden", ["message"] = $"no forbidden keys, {request["userInfo"]!["username"]}" };
            await ctx.Response.WriteAsJsonAsync(new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response });
        }));
        _webhook.MapPost("/label/{key}", (Delegate)(async (HttpContext ctx) =>
        {
            var key = (string)ctx.Request.RouteValues["key"]!;
            // replaces metadata.labels by the request's labels plus key=yes, and "a-saw-b" = whether label b was there when called
            var review = (await JsonNode.ParseAsync(ctx.Request.Body))!;
            var labels = review["request"]!["object"]!["metadata"]!["labels"]?.AsObject().DeepClone().AsObject() ?? new JsonObject();
            labels[key] = "yes";
            if (key == "a") labels["a-saw-b"] = labels.ContainsKey("b") ? "yes" : "no";
            var patch = new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/metadata/labels", ["value"] = labels });
            await ctx.Response.WriteAsJsonAsync(new JsonObject
            {
                ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview",
                ["response"] = new JsonObject
                {
                    ["uid"] = review["request"]!["uid"]!.GetValue<string>(), ["allowed"] = true, ["patchType"] = "JSONPatch",
                    ["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch.ToJsonString())),
                },
            });
        }));
        await _webhook.StartAsync();
        var address = _webhook.Urls.First();
        _url = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
        _port = new Uri(_url).Port;

        var client = new TaskCompletionSource<IKubeClient>();
        var deferred = new DeferredKubeClient(_ => client.Task);
        var services = new ServiceCollection()
            .AddSingleton<IAdmissionPlugin>(new WebhookAdmission(deferred, mutating: true))
            .AddSingleton<IAdmissionPlugin>(new WebhookAdmission(deferred, mutating: false))
            .BuildServiceProvider();
        _cluster = await TestCluster.StartAsync(services: services);
        client.SetResult(_cluster.Server.CreateClient(UserInfo.Admin));
        var c = _cluster.Server.CreateClient(new UserInfo("tester", ["system:masters", "system:authenticated"]));
        _client = c;
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = "wh", Labels = new Dictionary<string, string> { ["webhooks"] = "on" } } });
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = "wh-off" } });
        var onlyOn = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["webhooks"] = "on" } };
        V1RuleWithOperations Rule(string resource) => new() { Operations = ["CREATE", "UPDATE"], ApiGroups = [""], ApiVersions = ["v1"], Resources = [resource] };
        await c.CreateAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new() { Name = "labeler" },
            Webhooks =
            [
                new V1MutatingWebhook
                {
                    Name = "labeler.example.com", Rules = [Rule("configmaps")], NamespaceSelector = onlyOn, SideEffects = "None", AdmissionReviewVersions = ["v1"],
                    ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = _url + "/mutate", CaBundle = _caBundle },
                },
            ],
        });
        await c.CreateAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new() { Name = "checker" },
            Webhooks =
            [
                new V1ValidatingWebhook
                {
                    Name = "checker.example.com", Rules = [Rule("configmaps")], NamespaceSelector = onlyOn, SideEffects = "None", AdmissionReviewVersions = ["v1"],
                    ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = _url + "/validate", CaBundle = _caBundle },
                },
                new V1ValidatingWebhook
                {
                    Name = "down-ignored.example.com", Rules = [Rule("secrets")], FailurePolicy = "Ignore", SideEffects = "None", AdmissionReviewVersions = ["v1"],
                    ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = "https://127.0.0.1:1/down", CaBundle = _caBundle },
                },
                new V1ValidatingWebhook
                {
                    Name = "down-fails.example.com", Rules = [Rule("services")], NamespaceSelector = onlyOn, SideEffects = "None", AdmissionReviewVersions = ["v1"],
                    ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = "https://127.0.0.1:1/down", CaBundle = _caBundle },
                },
            ],
        });
    }

    [ClassCleanup]
    public static async Task CleanupAsync()
    {
        await _cluster.DisposeAsync();
        await _webhook.DisposeAsync();
        try { Directory.Delete(_pkiDir, true); } catch (IOException) { }
    }

    private static V1ConfigMap ConfigMap(string ns, string name, string key) => new()
    {
        Metadata = new() { Name = name, NamespaceProperty = ns },
        Data = new Dictionary<string, string> { [key] = "v" },
    };

    [TestMethod]
    public async Task MutatingWebhook_PatchesTheObject_AndValidatingWebhookDenies()
    {
        var created = await _client.CreateAsync(ConfigMap("wh", "ok", "fine"));
        Assert.AreEqual("yes", created.Metadata.Labels?["mutated"], "the JSONPatch was applied");

        var denied = await Assert.ThrowsExactlyAsync<ForbiddenException>(() => _client.CreateAsync(ConfigMap("wh", "bad", "forbidden")));
        Assert.AreEqual(403, denied.Status.Code);
        Assert.AreEqual("admission webhook \"checker.example.com\" denied the request: no forbidden keys, tester", denied.Status.Message);
    }

    [TestMethod]
    public async Task NamespaceSelector_LeavesOtherNamespacesAlone()
    {
        var before = Volatile.Read(ref _calls);
        var created = await _client.CreateAsync(ConfigMap("wh-off", "plain", "forbidden"));
        Assert.IsNull(created.Metadata.Labels);
        Assert.AreEqual(before, Volatile.Read(ref _calls), "no webhook was called for a namespace the selector does not match");
    }

    [TestMethod]
    public async Task UnreachableWebhook_FollowsFailurePolicy()
    {
        await _client.CreateAsync(new V1Secret { Metadata = new() { Name = "s", NamespaceProperty = "wh" }, StringData = new Dictionary<string, string> { ["a"] = "b" } });
        var svc = new V1Service { Metadata = new() { Name = "svc", NamespaceProperty = "wh" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } };
        var failed = await Assert.ThrowsAsync<KubeApiException>(() => _client.CreateAsync(svc));
        Assert.AreEqual(500, failed.Status.Code);
        StringAssert.StartsWith(failed.Status.Message,
            "Internal error occurred: failed calling webhook \"down-fails.example.com\": failed to call webhook: Post \"https://127.0.0.1:1/down?timeout=10s\":");
    }
}
