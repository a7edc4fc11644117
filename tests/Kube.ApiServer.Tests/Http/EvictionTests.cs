namespace Kube.ApiServer.Tests.Http;

[TestClass]
public sealed class EvictionTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task Init(TestContext _) => _cluster = await TestCluster.StartAsync();

    [ClassCleanup]
    public static async Task Cleanup() => await _cluster.DisposeAsync();

    private static string Eviction(string name) =>
        $$"""{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"{{name}}"},"deleteOptions":{"gracePeriodSeconds":0} }""";

    private static async Task RunningReadyAsync(string ns, string name, string app)
    {
        var r = await _cluster.PostAsync($"/api/v1/namespaces/{ns}/pods", Objects.Pod(name, ns, $$"""{"app":"{{app}}"}"""));
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        var status = """{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}""";
        r = await _cluster.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/pods/{name}/status", status, "application/merge-patch+json");
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
    }

    [TestMethod]
    public async Task Evict_WithoutBudget_DeletesThePod()
    {
        var app = "ev-" + Guid.NewGuid().ToString("n")[..6];
        await RunningReadyAsync("default", app + "-a", app);
        var r = await _cluster.PostAsync($"/api/v1/namespaces/default/pods/{app}-a/eviction", Eviction(app + "-a"));
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("Success", r.Body!["status"]!.GetValue<string>());
        var get = await _cluster.GetAsync($"/api/v1/namespaces/default/pods/{app}-a");
        Assert.AreEqual(404, get.Code, "gracePeriodSeconds 0 deletes at once");
    }

    [TestMethod]
    public async Task Evict_ViolatingBudget_Is429_AndAllowedOnceTheBudgetHasRoom()
    {
        var app = "ev-" + Guid.NewGuid().ToString("n")[..6];
        await RunningReadyAsync("default", app + "-a", app);
        await RunningReadyAsync("default", app + "-b", app);
        var pdb = $$"""{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"{{app}}"},"spec":{"minAvailable":2,"selector":{"matchLabels":{"app":"{{app}}"} } } }""";
        var c = await _cluster.PostAsync("/apis/policy/v1/namespaces/default/poddisruptionbudgets", pdb);
        Assert.AreEqual(201, c.Code, c.Body?.ToJsonString());

        var r = await _cluster.PostAsync($"/api/v1/namespaces/default/pods/{app}-a/eviction", Eviction(app + "-a"));
        Assert.AreEqual(429, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("TooManyRequests", r.Body!["reason"]!.GetValue<string>());
        Assert.AreEqual("Cannot evict pod as it would violate the pod's disruption budget.", r.Body["message"]!.GetValue<string>());
        Assert.AreEqual("DisruptionBudget", r.Body["details"]!["causes"]![0]!["reason"]!.GetValue<string>());
        Assert.AreEqual(200, (await _cluster.GetAsync($"/api/v1/namespaces/default/pods/{app}-a")).Code, "the pod stays");

        await RunningReadyAsync("default", app + "-c", app);
        r = await _cluster.PostAsync($"/api/v1/namespaces/default/pods/{app}-a/eviction", Eviction(app + "-a"));
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
    }

    [TestMethod]
    public async Task Evict_MissingPod_Is404()
    {
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/pods/nope/eviction", Eviction("nope"));
        Assert.AreEqual(404, r.Code);
        Assert.AreEqual("NotFound", r.Body!["reason"]!.GetValue<string>());
    }
}
