namespace Kube.ApiServer.Tests.Discovery;

[TestClass]
public sealed class AggregatedDiscoveryTests
{
    private const string V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task Init(TestContext _) => _cluster = await TestCluster.StartAsync();

    [ClassCleanup]
    public static async Task Cleanup() => await _cluster.DisposeAsync();

    [TestMethod]
    public async Task Apis_WithKubectlsAccept_IsTheV2Document_WithScaleShortNamesAndCategories()
    {
        var r = await _cluster.GetAsync("/apis", V2 + ",application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json");
        Assert.AreEqual(200, r.Code);
        Assert.AreEqual(V2, r.Response.Content.Headers.ContentType!.ToString().Replace(" ", ""));
        Assert.AreEqual("APIGroupDiscoveryList", r.Body!["kind"]!.GetValue<string>());
        var apps = r.Body["items"]!.AsArray().Single(i => i!["metadata"]!["name"]?.GetValue<string>() == "apps")!;
        var v1 = apps["versions"]!.AsArray().Single(v => v!["version"]!.GetValue<string>() == "v1")!;
        var deployments = v1["resources"]!.AsArray().Single(x => x!["resource"]!.GetValue<string>() == "deployments")!;
        Assert.AreEqual("Namespaced", deployments["scope"]!.GetValue<string>());
        Assert.AreEqual("Deployment", deployments["responseKind"]!["kind"]!.GetValue<string>());
        CollectionAssert.Contains(deployments["shortNames"]!.AsArray().Select(s => s!.GetValue<string>()).ToList(), "deploy");
        CollectionAssert.Contains(deployments["categories"]!.AsArray().Select(s => s!.GetValue<string>()).ToList(), "all");
        var scale = deployments["subresources"]!.AsArray().Single(s => s!["subresource"]!.GetValue<string>() == "scale")!;
        Assert.AreEqual("autoscaling", scale["responseKind"]!["group"]!.GetValue<string>());
        Assert.AreEqual("v1", scale["responseKind"]!["version"]!.GetValue<string>());
        Assert.AreEqual("Scale", scale["responseKind"]!["kind"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Api_V2_HoldsTheCoreGroupWithoutAName()
    {
        var r = await _cluster.GetAsync("/api", V2);
        Assert.AreEqual(200, r.Code);
        var core = r.Body!["items"]!.AsArray().Single()!;
        Assert.IsNull(core["metadata"]!["name"]);
        var pods = core["versions"]![0]!["resources"]!.AsArray().Single(x => x!["resource"]!.GetValue<string>() == "pods")!;
        CollectionAssert.Contains(pods["subresources"]!.AsArray().Select(s => s!["subresource"]!.GetValue<string>()).ToList(), "exec");
    }

    [TestMethod]
    [DataRow("/api")]
    [DataRow("/apis")]
    [DataRow("/apis/apps/v1")]
    [DataRow("/api/v1")]
    public async Task Discovery_HasAnETag_AndAnswers304ToIt(string path)
    {
        var first = await _cluster.GetAsync(path);
        Assert.AreEqual(200, first.Code);
        var etag = first.Response.Headers.ETag;
        Assert.IsNotNull(etag);
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        req.Headers.IfNoneMatch.Add(etag);
        using var second = await _cluster.Http.SendAsync(req);
        Assert.AreEqual(304, (int)second.StatusCode);
    }
}
