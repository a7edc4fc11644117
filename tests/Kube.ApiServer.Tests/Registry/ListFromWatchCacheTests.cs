using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Client;

namespace Kube.ApiServer.Tests.Registry;

/// <summary>
/// Lists served from the watch cache (upstream's ConsistentListFromCache, resourceVersion=0 and NotOlderThan): the cache is
/// used, a write is seen by the list right after it, and selectors, limit and continue give what the store gives.
/// </summary>
[TestClass]
public sealed class ListFromWatchCacheTests
{
    private static string Pod(string name, string app) =>
        $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"app":"{{{app}}}"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""";

    /// <summary>Lists until the resource's watch cache serves them (the first list only starts it).</summary>
    private static async Task WaitForCacheAsync(TestCluster cluster, string path)
    {
        await TestCluster.WaitForAsync(async () =>
        {
            var before = cluster.Server.ListsServedFromCache;
            Assert.AreEqual(200, (await cluster.GetAsync(path)).Code);
            return cluster.Server.ListsServedFromCache > before;
        }, what: "the watch cache to serve lists of " + path);
    }

    private static List<string> Names(JsonNode? list) =>
        [.. list!["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>())];

    [TestMethod]
    public async Task ConsistentList_FromCache_SeesEveryWriteMadeJustBefore()
    {
        await using var cluster = await TestCluster.StartAsync();
        await WaitForCacheAsync(cluster, "/api/v1/namespaces/default/pods");
        for (var i = 0; i < 40; i++)
        {
            Assert.AreEqual(201, (await cluster.PostAsync("/api/v1/namespaces/default/pods", Pod($"p{i}", "a"))).Code);
            // Other resources move the store's revision too; the pods cache must still be judged current.
            Assert.AreEqual(201, (await cluster.PostAsync("/api/v1/namespaces/default/configmaps",
                $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm{{{i}}}"}}""")).Code);
            var before = cluster.Server.ListsServedFromCache;
            var list = await cluster.GetAsync("/api/v1/namespaces/default/pods");
            Assert.AreEqual(200, list.Code);
            Assert.AreEqual(i + 1, Names(list.Body).Count, $"the list right after creating p{i}");
            CollectionAssert.Contains(Names(list.Body), $"p{i}");
            Assert.AreEqual(before + 1, cluster.Server.ListsServedFromCache, "the list was served by the watch cache");
            if (i % 4 == 3)
            {
                Assert.AreEqual(200, (await cluster.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/default/pods/p{i - 1}?gracePeriodSeconds=0")).Code);
                var afterDelete = Names((await cluster.GetAsync("/api/v1/namespaces/default/pods")).Body);
                CollectionAssert.DoesNotContain(afterDelete, $"p{i - 1}", "a delete is seen by the list right after it");
                Assert.AreEqual(201, (await cluster.PostAsync("/api/v1/namespaces/default/pods", Pod($"p{i - 1}", "a"))).Code);
            }
        }
    }

    [TestMethod]
    public async Task InProcessList_FromCache_SeesTheCreateBeforeIt()
    {
        await using var cluster = await TestCluster.StartAsync();
        await WaitForCacheAsync(cluster, "/api/v1/namespaces/default/configmaps");
        var before = cluster.Server.ListsServedFromCache;
        for (var i = 0; i < 20; i++)
        {
            var created = await cluster.Client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"c{i}", NamespaceProperty = "default" } });
            var list = await cluster.Client.ListAsync<V1ConfigMap>("default");
            Assert.AreEqual(i + 1, list.Items.Count);
            var item = list.Items.Single(c => c.Metadata.Name == $"c{i}");
            Assert.AreEqual(created.Metadata.ResourceVersion, item.Metadata.ResourceVersion, "the item carries its resourceVersion");
            Assert.IsTrue(long.Parse(list.ResourceVersion) >= long.Parse(created.Metadata.ResourceVersion!), "the list is at or after the create");
        }
        Assert.AreEqual(before + 20, cluster.Server.ListsServedFromCache);
    }

    [TestMethod]
    public async Task CacheLists_WithSelectorsLimitAndContinue_EqualStoreListsAtTheSameRevision()
    {
        await using var cluster = await TestCluster.StartAsync();
        Assert.AreEqual(201, (await cluster.PostAsync("/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}}""")).Code);
        for (var i = 0; i < 23; i++)
        {
            Assert.AreEqual(201, (await cluster.PostAsync("/api/v1/namespaces/default/pods", Pod($"d{i:00}", i % 3 == 0 ? "x" : "y"))).Code);
            Assert.AreEqual(201, (await cluster.PostAsync("/api/v1/namespaces/other/pods", Pod($"o{i:00}", "x"))).Code);
        }
        await WaitForCacheAsync(cluster, "/api/v1/pods");
        var queries = new[]
        {
            "/api/v1/pods", "/api/v1/namespaces/default/pods", "/api/v1/namespaces/other/pods?labelSelector=app%3Dx",
            "/api/v1/pods?labelSelector=app%3Dx", "/api/v1/pods?fieldSelector=metadata.namespace%3Ddefault", "/api/v1/pods?labelSelector=app%3Dnone",
            "/api/v1/pods?fieldSelector=metadata.name%3Dd05", "/api/v1/namespaces/default/pods?labelSelector=app%20in%20(x)",
        };
        foreach (var query in queries)
        {
            foreach (var limit in new[] { 0, 1, 7, 100 })
            {
                var sep = query.Contains('?', StringComparison.Ordinal) ? "&" : "?";
                var fromCache = await PagesAsync(cluster, query + (limit > 0 ? $"{sep}limit={limit}" : ""));
                var rv = fromCache.Revision;
                var fromStore = await PagesAsync(cluster, query + $"{sep}resourceVersion={rv}&resourceVersionMatch=Exact" + (limit > 0 ? $"&limit={limit}" : ""));
                CollectionAssert.AreEqual(fromStore.Items, fromCache.Items, $"{query} limit {limit}");
                Assert.AreEqual(fromStore.Pages, fromCache.Pages, $"{query} limit {limit}: pages");
            }
        }
        var served = cluster.Server.ListsServedFromCache;
        var any = await cluster.GetAsync("/api/v1/pods?resourceVersion=0");
        Assert.AreEqual(46, Names(any.Body).Count);
        Assert.AreEqual(served + 1, cluster.Server.ListsServedFromCache, "resourceVersion=0 is served from the cache");
        var exact = await cluster.GetAsync($"/api/v1/pods?resourceVersion={any.Body!["metadata"]!["resourceVersion"]}&resourceVersionMatch=Exact");
        Assert.AreEqual(46, Names(exact.Body).Count);
        Assert.AreEqual(served + 1, cluster.Server.ListsServedFromCache, "resourceVersionMatch=Exact reads the store");
    }

    /// <summary>Follows continue tokens; each item as name@resourceVersion.</summary>
    private static async Task<(List<string> Items, long Revision, int Pages)> PagesAsync(TestCluster cluster, string path)
    {
        var items = new List<string>();
        long revision = 0;
        string? token = null;
        for (var page = 1; page <= 200; page++)
        {
            var r = await cluster.GetAsync(path + (token is null ? "" : "&continue=" + Uri.EscapeDataString(token)));
            Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
            var rv = long.Parse(r.Body!["metadata"]!["resourceVersion"]!.GetValue<string>());
            if (revision == 0) revision = rv;
            Assert.AreEqual(revision, rv, "every page of a list is at the first page's revision");
            items.AddRange(r.Body["items"]!.AsArray().Select(i => $"{i!["metadata"]!["name"]}@{i["metadata"]!["resourceVersion"]}"));
            token = r.Body["metadata"]!["continue"]?.GetValue<string>();
            if (string.IsNullOrEmpty(token)) return (items, revision, page);
        }
        Assert.Fail("more than 200 pages");
        return default;
    }

    [TestMethod]
    public async Task ContinueFromCachePage_AfterLaterWrites_StaysAtTheFirstPagesRevision()
    {
        await using var cluster = await TestCluster.StartAsync();
        for (var i = 0; i < 5; i++)
            Assert.AreEqual(201, (await cluster.PostAsync("/api/v1/namespaces/default/configmaps", $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c{{{i}}}"}}""")).Code);
        await WaitForCacheAsync(cluster, "/api/v1/namespaces/default/configmaps");
        var before = cluster.Server.ListsServedFromCache;
        var first = await cluster.GetAsync("/api/v1/namespaces/default/configmaps?limit=2");
        var token = first.Body!["metadata"]!["continue"]!.GetValue<string>();
        Assert.AreEqual(201, (await cluster.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c9"}}""")).Code);
        Assert.AreEqual(200, (await cluster.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/c3")).Code);
        var rest = await cluster.GetAsync("/api/v1/namespaces/default/configmaps?limit=10&continue=" + Uri.EscapeDataString(token));
        Assert.AreEqual(200, rest.Code, rest.Body?.ToJsonString());
        CollectionAssert.AreEqual(new[] { "c2", "c3", "c4" }, Names(rest.Body), "the continuation shows the list as of its first page");
        Assert.AreEqual(first.Body["metadata"]!["resourceVersion"]!.GetValue<string>(), rest.Body!["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.AreEqual(before + 2, cluster.Server.ListsServedFromCache, "both pages came from the cache");
    }

    [TestMethod]
    public async Task WatchFromCachedListRevision_DeliversExactlyTheLaterEvents()
    {
        await using var cluster = await TestCluster.StartAsync();
        await WaitForCacheAsync(cluster, "/api/v1/namespaces/default/configmaps");
        Assert.AreEqual(201, (await cluster.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"before"}}""")).Code);
        var list = await cluster.Client.ListAsync<V1ConfigMap>("default");
        CollectionAssert.AreEqual(new[] { "before" }, list.Items.Select(c => c.Metadata.Name).ToList());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var events = cluster.Client.WatchAsync<V1ConfigMap>("default", new ListOptions { ResourceVersion = list.ResourceVersion }, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.AreEqual(201, (await cluster.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"after"}}""")).Code);
        Assert.IsTrue(await events.MoveNextAsync());
        Assert.AreEqual(WatchEventType.Added, events.Current.Type);
        Assert.AreEqual("after", events.Current.Object!.Metadata.Name, "the watch starts after the list: no event for the listed object");
        await events.DisposeAsync();
    }
}
