namespace Kube.ApiServer.Tests.Http;

[TestClass]
public sealed class PatchTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task Init(TestContext _) => _cluster = await TestCluster.StartAsync();

    [ClassCleanup]
    public static async Task Cleanup() => await _cluster.DisposeAsync();

    private static async Task<string> NewDeploymentAsync()
    {
        var name = "p-" + Guid.NewGuid().ToString("n")[..8];
        var body = Objects.Deployment(name).Replace("\"ports\":[{\"containerPort\":80}]",
            "\"ports\":[{\"containerPort\":80}],\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}]");
        var r = await _cluster.PostAsync("/apis/apps/v1/namespaces/default/deployments", body);
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        return $"/apis/apps/v1/namespaces/default/deployments/{name}";
    }

    [TestMethod]
    public async Task StrategicMerge_MergesContainersByName()
    {
        var path = await NewDeploymentAsync();
        var patch = """
            {"spec":{"template":{"spec":{"containers":[
              {"name":"web","image":"nginx:2","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]},
              {"name":"sidecar","image":"busybox"}]}}}}
            """;
        var r = await _cluster.SendAsync(HttpMethod.Patch, path, patch, "application/strategic-merge-patch+json");
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
        var containers = r.Body!["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.AreEqual(2, containers.Count);
        var web = containers[0]!;
        Assert.AreEqual("nginx:2", web["image"]!.GetValue<string>());
        Assert.AreEqual(80, web["ports"]![0]!["containerPort"]!.GetValue<int>(), "fields not in the patch stay");
        var env = web["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.GetValue<string>());
        CollectionAssert.AreEquivalent(new Dictionary<string, string> { ["A"] = "1", ["B"] = "3", ["C"] = "4" }, env);
    }

    [TestMethod]
    public async Task StrategicMerge_PatchDeleteDirective_RemovesListElement()
    {
        var path = await NewDeploymentAsync();
        var patch = """
            {"$setElementOrder/containers":[{"name":"web"}],
             "spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"A","$patch":"delete"}]}]}}}}
            """;
        var r = await _cluster.SendAsync(HttpMethod.Patch, path, patch, "application/strategic-merge-patch+json");
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
        var env = r.Body!["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray();
        Assert.AreEqual("B", env.Single()!["name"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task MergePatch_ReplacesLists()
    {
        var path = await NewDeploymentAsync();
        var patch = """{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"x:1"}]}}}}""";
        var r = await _cluster.SendAsync(HttpMethod.Patch, path, patch, "application/merge-patch+json");
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
        var c = r.Body!["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single()!;
        Assert.AreEqual("only", c["name"]!.GetValue<string>());
        Assert.IsNull(c["ports"]);
    }

    [TestMethod]
    public async Task JsonPatch_AppliesOperations_AndTestFailureIs422()
    {
        var path = await NewDeploymentAsync();
        var ok = await _cluster.SendAsync(HttpMethod.Patch, path,
            """[{"op":"replace","path":"/spec/replicas","value":4},{"op":"add","path":"/metadata/labels/new","value":"yes"}]""", "application/json-patch+json");
        Assert.AreEqual(200, ok.Code, ok.Body?.ToJsonString());
        Assert.AreEqual(4, ok.Body!["spec"]!["replicas"]!.GetValue<int>());
        Assert.AreEqual("yes", ok.Body!["metadata"]!["labels"]!["new"]!.GetValue<string>());
        var failed = await _cluster.SendAsync(HttpMethod.Patch, path, """[{"op":"test","path":"/spec/replicas","value":99}]""", "application/json-patch+json");
        Assert.AreEqual(422, failed.Code, failed.Body?.ToJsonString());
        var badPath = await _cluster.SendAsync(HttpMethod.Patch, path, """[{"op":"remove","path":"/spec/nothing/here"}]""", "application/json-patch+json");
        Assert.AreEqual(422, badPath.Code, badPath.Body?.ToJsonString());
    }

    [TestMethod]
    public async Task Patch_WithStaleResourceVersion_Returns409()
    {
        var path = await NewDeploymentAsync();
        var r = await _cluster.SendAsync(HttpMethod.Patch, path, """{"metadata":{"resourceVersion":"1"},"spec":{"replicas":3}}""", "application/merge-patch+json");
        Assert.AreEqual(409, r.Code);
    }

    [TestMethod]
    [DataRow("text/plain", 415)]
    public async Task Patch_UnsupportedContentType(string contentType, int code)
    {
        var path = await NewDeploymentAsync();
        var r = await _cluster.SendAsync(HttpMethod.Patch, path + "?fieldManager=x", "{}", contentType);
        Assert.AreEqual(code, r.Code);
        Assert.AreEqual("UnsupportedMediaType", r.Body!["reason"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Patch_MalformedBody_Returns400()
    {
        var path = await NewDeploymentAsync();
        var r = await _cluster.SendAsync(HttpMethod.Patch, path, "{oops", "application/merge-patch+json");
        Assert.AreEqual(400, r.Code);
    }

    [TestMethod]
    public async Task StatusPatch_MergesConditionsByType()
    {
        var path = await NewDeploymentAsync();
        await _cluster.SendAsync(HttpMethod.Patch, path + "/status",
            """{"status":{"conditions":[{"type":"Available","status":"False"},{"type":"Progressing","status":"True"}]}}""", "application/strategic-merge-patch+json");
        var r = await _cluster.SendAsync(HttpMethod.Patch, path + "/status",
            """{"status":{"conditions":[{"type":"Available","status":"True"}]}}""", "application/strategic-merge-patch+json");
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
        var conds = r.Body!["status"]!["conditions"]!.AsArray().ToDictionary(c => c!["type"]!.GetValue<string>(), c => c!["status"]!.GetValue<string>());
        Assert.AreEqual("True", conds["Available"]);
        Assert.AreEqual("True", conds["Progressing"]);
    }

    [TestMethod]
    public async Task ConcurrentPatches_WithoutResourceVersion_NeverConflict()
    {
        var path = await NewDeploymentAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            _cluster.SendAsync(HttpMethod.Patch, path, "{\"metadata\":{\"annotations\":{\"k" + i + "\":\"v\"}}}", "application/merge-patch+json")));
        Assert.IsTrue(results.All(r => r.Code == 200), string.Join(",", results.Select(r => r.Code)));
        var final = await _cluster.GetAsync(path);
        Assert.AreEqual(16, final.Body!["metadata"]!["annotations"]!.AsObject().Count);
    }
}
