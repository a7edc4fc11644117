namespace Kube.ApiServer.Tests.Registry;

/// <summary>
/// GET with resourceVersion=0 (upstream: any version may be served) is answered by the resource's watch cache once it runs,
/// and still sees this server's own writes made just before; a GET without resourceVersion is a quorum read of the store.
/// </summary>
[TestClass]
public sealed class GetFromWatchCacheTests
{
    private const string Pods = "/api/v1/namespaces/default/pods";

    [TestMethod]
    public async Task GetAnyVersion_FromCache_SeesTheWriteJustBefore_AndNotFound()
    {
        await using var cluster = await TestCluster.StartAsync();
        Assert.AreEqual(201, (await cluster.PostAsync(Pods, Objects.Pod("cached"))).Code);
        // The first list starts the pods' cache; GETs with resourceVersion=0 use it once it runs.
        await TestCluster.WaitForAsync(async () =>
        {
            var before = cluster.Server.GetsServedFromCache;
            Assert.AreEqual(200, (await cluster.GetAsync(Pods)).Code);
            Assert.AreEqual(200, (await cluster.GetAsync(Pods + "/cached?resourceVersion=0")).Code);
            return cluster.Server.GetsServedFromCache > before;
        }, what: "the watch cache to serve GETs of pods");

        for (var i = 0; i < 10; i++)
        {
            var patched = await cluster.SendAsync(HttpMethod.Patch, Pods + "/cached", "{\"metadata\":{\"labels\":{\"round\":\"r" + i + "\"}}}",
                "application/merge-patch+json");
            Assert.AreEqual(200, patched.Code);
            var before = cluster.Server.GetsServedFromCache;
            var got = await cluster.GetAsync(Pods + "/cached?resourceVersion=0");
            Assert.AreEqual(200, got.Code);
            Assert.AreEqual(before + 1, cluster.Server.GetsServedFromCache, "served by the watch cache");
            Assert.AreEqual($"r{i}", got.Body!["metadata"]!["labels"]!["round"]!.GetValue<string>(), "the patch just made is seen");
            Assert.AreEqual(patched.Body!["metadata"]!["resourceVersion"]!.GetValue<string>(), got.Body["metadata"]!["resourceVersion"]!.GetValue<string>());
        }

        var missing = await cluster.GetAsync(Pods + "/nope?resourceVersion=0");
        Assert.AreEqual(404, missing.Code);
        Assert.AreEqual("NotFound", missing.Body!["reason"]!.GetValue<string>());

        var quorum = cluster.Server.GetsServedFromCache;
        var fromStore = await cluster.GetAsync(Pods + "/cached");
        Assert.AreEqual(200, fromStore.Code);
        Assert.AreEqual("r9", fromStore.Body!["metadata"]!["labels"]!["round"]!.GetValue<string>());
        Assert.AreEqual(quorum, cluster.Server.GetsServedFromCache, "a GET without resourceVersion reads the store");
    }
}
