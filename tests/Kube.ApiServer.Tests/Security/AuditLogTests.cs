using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Kube.ApiServer.Security;

namespace Kube.ApiServer.Tests.Security;

/// <summary>The audit log: upstream's Policy file and JSON-lines audit.k8s.io/v1 events from a running server.</summary>
[TestClass]
public sealed class AuditLogTests
{
    private const string Policy = """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived]
        rules:
        - level: None
          nonResourceURLs: ["/healthz*", "/version"]
        - level: RequestResponse
          resources: [{group: "", resources: [configmaps]}]
        - level: Metadata
          resources: [{group: "", resources: [secrets]}]
        - level: Metadata
          verbs: [get, list, watch, create]
        """;

    [TestMethod]
    public async Task Server_WritesOneEventPerRequest_AtThePolicysLevel()
    {
        var dir = Directory.CreateTempSubdirectory("kube-audit-").FullName;
        var tokens = Path.Combine(dir, "tokens.csv");
        await File.WriteAllTextAsync(tokens, "root-token,root,1,\"system:masters\"\nbob-token,bob,2\n");
        var log = Path.Combine(dir, "audit.log");
        await using var cluster = await TestCluster.StartAsync(o => o.Security = new ApiServerSecurityOptions
        {
            TokenAuthFile = tokens,
            AuditPolicy = AuditPolicy.Parse(Policy),
            AuditLogPath = log,
        });
        using var http = new HttpClient { BaseAddress = cluster.Server.BaseAddress };
        async Task<HttpResponseMessage> SendAsync(string token, HttpMethod method, string path, string? body = null)
        {
            using var req = new HttpRequestMessage(method, path);
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            req.Headers.UserAgent.ParseAdd("audit-test/1.0");
            if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, "application/json");
            return await http.SendAsync(req);
        }

        using var cm = await SendAsync("root-token", HttpMethod.Post, "/api/v1/namespaces/default/configmaps",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"audited"},"data":{"k":"v"}}""");
        Assert.AreEqual(201, (int)cm.StatusCode);
        StringAssert.Contains(await cm.Content.ReadAsStringAsync(), "\"audited\"", "the client still gets the whole response body");
        var auditId = cm.Headers.GetValues("Audit-Id").Single();
        using var secret = await SendAsync("root-token", HttpMethod.Post, "/api/v1/namespaces/default/secrets",
            """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"hush"},"stringData":{"password":"do-not-log-me"}}""");
        Assert.AreEqual(201, (int)secret.StatusCode);
        using var health = await SendAsync("root-token", HttpMethod.Get, "/healthz");
        Assert.IsFalse(health.Headers.Contains("Audit-Id"), "a None request is not audited");
        using var denied = await SendAsync("bob-token", HttpMethod.Get, "/api/v1/namespaces/default/pods");
        Assert.AreEqual(403, (int)denied.StatusCode);

        // kubectl create sends protobuf: the event carries the decoded object as JSON
        byte[] protobuf = [(byte)'k', (byte)'8', (byte)'s', 0, 0x0a, 0x0f, 0x0a, 0x02, (byte)'v', (byte)'1', 0x12, 0x09, .. "ConfigMap"u8,
            0x12, 0x0f, 0x0a, 0x04, 0x0a, 0x02, (byte)'p', (byte)'b', 0x12, 0x07, 0x0a, 0x01, (byte)'k', 0x12, 0x02, (byte)'p', (byte)'v'];
        using var pbRequest = new HttpRequestMessage(HttpMethod.Post, "/api/v1/namespaces/default/configmaps") { Content = new ByteArrayContent(protobuf) };
        pbRequest.Content.Headers.ContentType = new("application/vnd.kubernetes.protobuf");
        pbRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "root-token");
        using var pb = await http.SendAsync(pbRequest);
        Assert.AreEqual(201, (int)pb.StatusCode, await pb.Content.ReadAsStringAsync());
        var pbId = pb.Headers.GetValues("Audit-Id").Single();

        using var watch = await SendAsync("root-token", HttpMethod.Get, "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1");
        await watch.Content.ReadAsStringAsync();
        var watchId = watch.Headers.GetValues("Audit-Id").Single();

        var all = (await File.ReadAllLinesAsync(log)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var watchEvents = all.Where(e => e["auditID"]!.GetValue<string>() == watchId).ToList();
        CollectionAssert.AreEqual(new[] { "ResponseStarted", "ResponseComplete" }, watchEvents.Select(e => e["stage"]!.GetValue<string>()).ToArray(),
            "a watch is long-running: ResponseStarted when its headers go out, then ResponseComplete");
        Assert.AreEqual("watch", watchEvents[0]["verb"]!.GetValue<string>());
        Assert.AreEqual(200, watchEvents[0]["responseStatus"]!["code"]!.GetValue<int>());
        var pbEvent = all.Single(e => e["auditID"]!.GetValue<string>() == pbId);
        Assert.AreEqual("pv", pbEvent["requestObject"]?["data"]?["k"]?.GetValue<string>(), pbEvent.ToJsonString());
        Assert.AreEqual("pb", pbEvent["requestObject"]?["metadata"]?["name"]?.GetValue<string>());
        var lines = all.Where(e => e["auditID"]!.GetValue<string>() != watchId && e["auditID"]!.GetValue<string>() != pbId).ToList();
        Assert.IsTrue(lines.All(e => e["kind"]!.GetValue<string>() == "Event" && e["apiVersion"]!.GetValue<string>() == "audit.k8s.io/v1"));
        Assert.IsTrue(lines.All(e => e["stage"]!.GetValue<string>() == "ResponseComplete"), "RequestReceived is omitted by the policy");
        Assert.AreEqual(3, lines.Count, string.Join("\n", lines.Select(l => l.ToJsonString())));

        var created = lines.Single(e => e["auditID"]!.GetValue<string>() == auditId);
        Assert.AreEqual("RequestResponse", created["level"]!.GetValue<string>());
        Assert.AreEqual("create", created["verb"]!.GetValue<string>());
        Assert.AreEqual("root", created["user"]!["username"]!.GetValue<string>());
        Assert.AreEqual("configmaps", created["objectRef"]!["resource"]!.GetValue<string>());
        Assert.AreEqual("default", created["objectRef"]!["namespace"]!.GetValue<string>());
        Assert.AreEqual(201, created["responseStatus"]!["code"]!.GetValue<int>());
        Assert.AreEqual("v", created["requestObject"]!["data"]!["k"]!.GetValue<string>());
        Assert.AreEqual("audited", created["responseObject"]!["metadata"]!["name"]!.GetValue<string>());
        Assert.AreEqual("audit-test/1.0", created["userAgent"]!.GetValue<string>());
        Assert.IsNotNull(created["requestReceivedTimestamp"]);

        var hush = lines.Single(e => e["objectRef"]?["resource"]?.GetValue<string>() == "secrets");
        Assert.AreEqual("Metadata", hush["level"]!.GetValue<string>());
        Assert.IsNull(hush["requestObject"]);
        Assert.IsFalse(File.ReadAllText(log).Contains("do-not-log-me", StringComparison.Ordinal), "a Metadata event carries no body");

        var bob = lines.Single(e => e["user"]?["username"]?.GetValue<string>() == "bob");
        Assert.AreEqual("list", bob["verb"]!.GetValue<string>());
        Assert.AreEqual(403, bob["responseStatus"]!["code"]!.GetValue<int>());
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    [TestMethod]
    [DataRow("pods", null, null, "kube-system", "Request")]
    [DataRow("pods", "status", null, "default", "RequestResponse")]
    [DataRow("deployments", "status", null, "default", "RequestResponse")]
    [DataRow("pods", "log", null, "default", "Metadata")]
    [DataRow("configmaps", null, "controller-leader", "default", "None")]
    [DataRow("configmaps", null, "other", "default", "Metadata")]
    public void Policy_FirstMatchingRuleGivesTheLevel(string resource, string? subresource, string? name, string ns, string level)
    {
        var policy = AuditPolicy.Parse("""
            apiVersion: audit.k8s.io/v1
            kind: Policy
            rules:
            - level: Request
              namespaces: [kube-system]
            - level: RequestResponse
              resources: [{group: "", resources: ["*/status"]}, {group: apps, resources: ["*/status"]}]
            - level: None
              resources: [{group: "", resources: [configmaps], resourceNames: [controller-leader]}]
            - level: Metadata
              resources: [{group: "", resources: ["pods/*", configmaps]}]
            """);
        var group = resource == "deployments" ? "apps" : "";
        var (got, _) = policy.Evaluate(new AuditAttributes("u", ["system:authenticated"], "get", group, resource, subresource, ns, name, "/"));
        Assert.AreEqual(level, got.ToString());
    }

    [TestMethod]
    public void Policy_RefusesAnUnknownLevel_NamingTheField()
    {
        var e = Assert.ThrowsExactly<FormatException>(() => AuditPolicy.Parse("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n"));
        StringAssert.Contains(e.Message, "rules[0].level: Unsupported value: \"Loud\"");
    }
}
