using System.Text.Json.Nodes;

namespace Kube.ApiServer.Tests.Http;

[TestClass]
public sealed class ServerSideApplyTests
{
    private const string Yaml = "application/apply-patch+yaml";
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task Init(TestContext _) => _cluster = await TestCluster.StartAsync();

    [ClassCleanup]
    public static async Task Cleanup() => await _cluster.DisposeAsync();

    private static string NewName() => "ssa-" + Guid.NewGuid().ToString("n")[..8];

    private static string Deployment(string name, int replicas, string image, string extraContainer = "") => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{{name}}}
          labels: {app: {{{name}}} }
        spec:
          replicas: {{{replicas}}}
          selector: {matchLabels: {app: {{{name}}} }}
          template:
            metadata: {labels: {app: {{{name}}} }}
            spec:
              containers:
              - name: web
                image: {{{image}}}
        {{{extraContainer}}}
        """;

    private static Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> ApplyAsync(string path, string body, string? manager, bool force = false)
    {
        var q = manager is null ? "" : $"?fieldManager={manager}" + (force ? "&force=true" : "");
        return _cluster.SendAsync(HttpMethod.Patch, path + q, body, Yaml);
    }

    private static JsonArray ManagedFields(JsonNode obj) => obj["metadata"]!["managedFields"]!.AsArray();

    [TestMethod]
    public async Task Apply_CreatesWhenAbsent_AndRecordsApplyManagedFields()
    {
        var name = NewName();
        var path = $"/apis/apps/v1/namespaces/default/deployments/{name}";
        var r = await ApplyAsync(path, Deployment(name, 2, "nginx:1"), "alice");
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual(2, r.Body!["spec"]!["replicas"]!.GetValue<int>());
        var entry = ManagedFields(r.Body).Single()!;
        Assert.AreEqual("alice", entry["manager"]!.GetValue<string>());
        Assert.AreEqual("Apply", entry["operation"]!.GetValue<string>());
        Assert.AreEqual("apps/v1", entry["apiVersion"]!.GetValue<string>());
        Assert.AreEqual("FieldsV1", entry["fieldsType"]!.GetValue<string>());
        Assert.IsNotNull(entry["time"]);
        var fields = entry["fieldsV1"]!;
        Assert.IsNotNull(fields["f:spec"]!["f:replicas"]);
        Assert.IsNotNull(fields["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!["k:{\"name\":\"web\"}"]!["f:image"]);
        Assert.IsNotNull(fields["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!["k:{\"name\":\"web\"}"]!["."]);
        Assert.IsNull(fields["f:spec"]!["f:progressDeadlineSeconds"], "defaulted fields are not the applier's");
        Assert.IsNull(fields["f:metadata"]!["f:name"], "identity metadata is not owned");
    }

    [TestMethod]
    public async Task Apply_WithoutFieldManager_IsRejected()
    {
        var name = NewName();
        var r = await ApplyAsync($"/apis/apps/v1/namespaces/default/deployments/{name}", Deployment(name, 1, "nginx:1"), null);
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        StringAssert.Contains(r.Body!["message"]!.GetValue<string>(), "fieldManager: Required value");
    }

    [TestMethod]
    public async Task Apply_ByAnotherManager_OfADifferentValue_Conflicts_UnlessForced()
    {
        var name = NewName();
        var path = $"/apis/apps/v1/namespaces/default/deployments/{name}";
        Assert.AreEqual(201, (await ApplyAsync(path, Deployment(name, 2, "nginx:1"), "alice")).Code);

        var same = await ApplyAsync(path, Deployment(name, 2, "nginx:1"), "bob");
        Assert.AreEqual(200, same.Code, "the same value is shared, not a conflict: " + same.Body?.ToJsonString());

        var r = await ApplyAsync(path, Deployment(name, 3, "nginx:1"), "bob");
        Assert.AreEqual(409, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("Conflict", r.Body!["reason"]!.GetValue<string>());
        Assert.AreEqual("Apply failed with 1 conflict: conflict with \"alice\": .spec.replicas", r.Body["message"]!.GetValue<string>());
        var cause = r.Body["details"]!["causes"]!.AsArray().Single()!;
        Assert.AreEqual("FieldManagerConflict", cause["reason"]!.GetValue<string>());
        Assert.AreEqual(".spec.replicas", cause["field"]!.GetValue<string>());

        var forced = await ApplyAsync(path, Deployment(name, 3, "nginx:1"), "bob", force: true);
        Assert.AreEqual(200, forced.Code, forced.Body?.ToJsonString());
        Assert.AreEqual(3, forced.Body!["spec"]!["replicas"]!.GetValue<int>());
        var alice = ManagedFields(forced.Body).Single(e => e!["manager"]!.GetValue<string>() == "alice")!;
        Assert.IsNull(alice["fieldsV1"]!["f:spec"]!["f:replicas"], "force moves ownership away from alice");
    }

    [TestMethod]
    public async Task Apply_MergesAssociativeLists_AndRemovesFieldsNoLongerApplied()
    {
        var name = NewName();
        var path = $"/apis/apps/v1/namespaces/default/deployments/{name}";
        const string sidecar = "      - name: sidecar\n        image: busybox";
        Assert.AreEqual(201, (await ApplyAsync(path, Deployment(name, 1, "nginx:1", sidecar), "alice")).Code);
        // bob adds his own container through apply: merged by name, alice's stay.
        var bob = $$$"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"{{{name}}}"},
             "spec":{"template":{"spec":{"containers":[{"name":"bob","image":"redis"}]} } } }
            """;
        var r = await ApplyAsync(path, bob, "bob");
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
        CollectionAssert.AreEquivalent(new[] { "web", "sidecar", "bob" },
            r.Body!["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToArray());

        // alice stops applying the sidecar: it is removed; bob's container stays.
        r = await ApplyAsync(path, Deployment(name, 1, "nginx:1"), "alice");
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
        CollectionAssert.AreEquivalent(new[] { "web", "bob" },
            r.Body!["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToArray());
    }

    [TestMethod]
    public async Task Update_RecordsUpdateManager_FromFieldManagerOrUserAgent_AndTakesChangedFields()
    {
        var name = NewName();
        var path = $"/api/v1/namespaces/default/configmaps/{name}";
        Assert.AreEqual(201, (await ApplyAsync(path, $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"a":"1","b":"1"}}""", "alice")).Code);
        var r = await _cluster.SendAsync(HttpMethod.Patch, path + "?fieldManager=editor", """{"data":{"a":"2"}}""", "application/merge-patch+json");
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
        Assert.IsNull(r.Body!["metadata"]!["generation"], "ConfigMaps have no generation");
        var entries = ManagedFields(r.Body);
        var editor = entries.Single(e => e!["manager"]!.GetValue<string>() == "editor")!;
        Assert.AreEqual("Update", editor["operation"]!.GetValue<string>());
        Assert.IsNotNull(editor["fieldsV1"]!["f:data"]!["f:a"]);
        var alice = entries.Single(e => e!["manager"]!.GetValue<string>() == "alice")!;
        Assert.IsNull(alice["fieldsV1"]!["f:data"]!["f:a"], "the updater took data.a");
        Assert.IsNotNull(alice["fieldsV1"]!["f:data"]!["f:b"]);

        // alice re-applying a=1 now conflicts with the updater, named with its API version.
        var c = await ApplyAsync(path, $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"a":"1","b":"1"}}""", "alice");
        Assert.AreEqual(409, c.Code, c.Body?.ToJsonString());
        Assert.AreEqual("Apply failed with 1 conflict: conflict with \"editor\" using v1: .data.a", c.Body!["message"]!.GetValue<string>());
    }
}
