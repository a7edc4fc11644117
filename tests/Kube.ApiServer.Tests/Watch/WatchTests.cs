using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Client;
using WatchEventType = Kube.Core.Client.WatchEventType;

namespace Kube.ApiServer.Tests.Watch;

[TestClass]
public sealed class WatchTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task Init(TestContext _) => _cluster = await TestCluster.StartAsync(o => o.WatchBookmarkInterval = TimeSpan.FromMilliseconds(200));

    [ClassCleanup]
    public static async Task Cleanup() => await _cluster.DisposeAsync();

    private static async Task<string> NewNamespaceAsync()
    {
        var ns = "w-" + Guid.NewGuid().ToString("n")[..8];
        var r = await _cluster.PostAsync("/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""");
        Assert.AreEqual(201, r.Code);
        return ns;
    }

    private static string Cm(string name, string value = "1", string labels = "{}") =>
        $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","labels":{{{labels}}}},"data":{"v":"{{{value}}}"}}""";

    [TestMethod]
    public async Task Watch_FromResourceVersion_DeliversLaterEventsOnly()
    {
        var ns = await NewNamespaceAsync();
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Cm("before"));
        var list = await _cluster.GetAsync($"/api/v1/namespaces/{ns}/configmaps");
        var rv = list.Body!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await using var w = await WatchStream.OpenAsync(_cluster.Http, $"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={rv}");
        Assert.AreEqual(200, w.StatusCode);
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Cm("after"));
        await _cluster.PutAsync($"/api/v1/namespaces/{ns}/configmaps/after", Cm("after", "2"));
        await _cluster.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{ns}/configmaps/after");

        var added = (await w.NextAsync())!;
        Assert.AreEqual("ADDED", WatchStream.Type(added));
        Assert.AreEqual("after", WatchStream.Name(added));
        var modified = (await w.NextAsync())!;
        Assert.AreEqual("MODIFIED", WatchStream.Type(modified));
        Assert.AreEqual("2", modified["object"]!["data"]!["v"]!.GetValue<string>());
        var deleted = (await w.NextAsync())!;
        Assert.AreEqual("DELETED", WatchStream.Type(deleted));
        Assert.IsTrue(long.Parse(deleted["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()) >
                      long.Parse(modified["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()));
    }

    [TestMethod]
    public async Task Watch_WithoutResourceVersion_StartsWithSyntheticAdds()
    {
        var ns = await NewNamespaceAsync();
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Cm("one"));
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Cm("two"));
        await using var w = await WatchStream.OpenAsync(_cluster.Http, $"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion=0");
        var names = new[] { WatchStream.Name((await w.NextAsync())!), WatchStream.Name((await w.NextAsync())!) };
        CollectionAssert.AreEquivalent(new[] { "one", "two" }, names);
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Cm("three"));
        var e = (await w.NextAsync())!;
        Assert.AreEqual("ADDED", WatchStream.Type(e));
        Assert.AreEqual("three", WatchStream.Name(e));
    }

    [TestMethod]
    public async Task Watch_SingleObjectByName_LikeKubectlGetW()
    {
        var ns = await NewNamespaceAsync();
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Cm("target"));
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Cm("other"));
        await using var w = await WatchStream.OpenAsync(_cluster.Http, $"/api/v1/namespaces/{ns}/configmaps?watch=1&fieldSelector=metadata.name%3Dtarget&resourceVersion=0");
        var first = (await w.NextAsync())!;
        Assert.AreEqual("ADDED", WatchStream.Type(first));
        Assert.AreEqual("target", WatchStream.Name(first));
        await _cluster.PutAsync($"/api/v1/namespaces/{ns}/configmaps/other", Cm("other", "2"));
        await _cluster.PutAsync($"/api/v1/namespaces/{ns}/configmaps/target", Cm("target", "2"));
        var next = (await w.NextAsync())!;
        Assert.AreEqual("MODIFIED", WatchStream.Type(next));
        Assert.AreEqual("target", WatchStream.Name(next));
    }

    [TestMethod]
    public async Task Watch_LabelSelectorTransitions_BecomeAddedAndDeleted()
    {
        var ns = await NewNamespaceAsync();
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Cm("x", labels: """{"app":"a"}"""));
        var rv = (await _cluster.GetAsync($"/api/v1/namespaces/{ns}/configmaps")).Body!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await using var w = await WatchStream.OpenAsync(_cluster.Http, $"/api/v1/namespaces/{ns}/configmaps?watch=1&labelSelector=app%3Db&resourceVersion={rv}");
        var path = $"/api/v1/namespaces/{ns}/configmaps/x";
        await _cluster.SendAsync(HttpMethod.Patch, path, """{"metadata":{"labels":{"app":"b"}}}""", "application/merge-patch+json");
        await _cluster.SendAsync(HttpMethod.Patch, path, """{"data":{"v":"9"}}""", "application/merge-patch+json");
        await _cluster.SendAsync(HttpMethod.Patch, path, """{"metadata":{"labels":{"app":"c"}}}""", "application/merge-patch+json");
        var types = new List<string>();
        for (var i = 0; i < 3; i++) types.Add(WatchStream.Type((await w.NextAsync())!));
        CollectionAssert.AreEqual(new[] { "ADDED", "MODIFIED", "DELETED" }, types);
    }

    [TestMethod]
    public async Task Watch_AllowWatchBookmarks_SendsBookmarksWithResourceVersion()
    {
        var ns = await NewNamespaceAsync();
        var rv = (await _cluster.GetAsync($"/api/v1/namespaces/{ns}/configmaps")).Body!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await using var w = await WatchStream.OpenAsync(_cluster.Http, $"/api/v1/namespaces/{ns}/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion={rv}");
        var e = (await w.NextAsync())!;
        Assert.AreEqual("BOOKMARK", WatchStream.Type(e));
        Assert.IsTrue(long.Parse(e["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()) >= long.Parse(rv));
        Assert.AreEqual("ConfigMap", e["object"]!["kind"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Watch_TimeoutSeconds_EndsTheStream()
    {
        var ns = await NewNamespaceAsync();
        await using var w = await WatchStream.OpenAsync(_cluster.Http, $"/api/v1/namespaces/{ns}/configmaps?watch=1&timeoutSeconds=1");
        Assert.AreEqual(200, w.StatusCode);
        var started = DateTime.UtcNow;
        var rest = await w.ReadAllAsync();
        Assert.AreEqual("", rest);
        Assert.IsTrue(DateTime.UtcNow - started < TimeSpan.FromSeconds(8));
    }

    [TestMethod]
    public async Task Watch_CompactedResourceVersion_Returns410Expired()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync("/api/v1/namespaces/default/configmaps", Cm("a"));
        await cluster.PostAsync("/api/v1/namespaces/default/configmaps", Cm("b"));
        var rev = long.Parse((await cluster.GetAsync("/api/v1/namespaces/default/configmaps")).Body!["metadata"]!["resourceVersion"]!.GetValue<string>());
        await cluster.Store.CompactAsync(rev);
        var r = await cluster.GetAsync("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1");
        Assert.AreEqual(410, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("Expired", r.Body!["reason"]!.GetValue<string>());
        StringAssert.StartsWith(r.Body!["message"]!.GetValue<string>(), "too old resource version: 1");
        await Assert.ThrowsExactlyAsync<GoneException>(async () =>
        {
            await foreach (var _ in cluster.Client.WatchAsync<V1ConfigMap>("default", new ListOptions { ResourceVersion = "1" })) { }
        });
    }

    [TestMethod]
    public async Task Watch_TableAccept_SendsOneRowTablesWithHeadersOnlyFirst()
    {
        var ns = await NewNamespaceAsync();
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/pods", Objects.Pod("p1", ns));
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/pods", Objects.Pod("p2", ns));
        await using var w = await WatchStream.OpenAsync(_cluster.Http, $"/api/v1/namespaces/{ns}/pods?watch=1&resourceVersion=0",
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        var first = (await w.NextAsync())!;
        Assert.AreEqual("Table", first["object"]!["kind"]!.GetValue<string>());
        Assert.IsTrue(first["object"]!["columnDefinitions"]!.AsArray().Count > 0);
        Assert.AreEqual(1, first["object"]!["rows"]!.AsArray().Count);
        var second = (await w.NextAsync())!;
        Assert.IsNull(second["object"]!["columnDefinitions"]);
        Assert.AreEqual("PartialObjectMetadata", second["object"]!["rows"]![0]!["object"]!["kind"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Watch_ManyWatchers_ShareOneCacheAndAllSeeTheEvent()
    {
        var ns = await NewNamespaceAsync();
        var rv = (await _cluster.GetAsync($"/api/v1/namespaces/{ns}/configmaps")).Body!["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var watchers = Enumerable.Range(0, 200).Select(async _ =>
        {
            await foreach (var e in _cluster.Client.WatchAsync<V1ConfigMap>(ns, new ListOptions { ResourceVersion = rv }, cts.Token))
                return e;
            return null;
        }).ToList();
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Cm("fanout"));
        var results = await Task.WhenAll(watchers);
        Assert.IsTrue(results.All(e => e is { Type: WatchEventType.Added } && e.Object!.Metadata.Name == "fanout"));
    }

    [TestMethod]
    public async Task InProcessWatch_SeesTypedEventsAndBookmarks()
    {
        var ns = await NewNamespaceAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = new List<WatchEvent<V1ConfigMap>>();
        var watch = Task.Run(async () =>
        {
            await foreach (var e in _cluster.Client.WatchAsync<V1ConfigMap>(ns, new ListOptions { AllowWatchBookmarks = true }, cts.Token))
            {
                lock (events) events.Add(e);
                if (e.Type == WatchEventType.Deleted) return;
            }
        });
        await TestCluster.WaitForAsync(() => Task.FromResult(true));
        var created = await _cluster.Client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "typed", NamespaceProperty = ns }, Data = new Dictionary<string, string> { ["a"] = "b" } });
        await TestCluster.WaitForAsync(() => { lock (events) return Task.FromResult(events.Any(e => e.Type == WatchEventType.Added)); }, what: "ADDED");
        await _cluster.Client.DeleteAsync<V1ConfigMap>("typed", ns);
        await watch;
        lock (events)
        {
            var added = events.First(e => e.Type == WatchEventType.Added);
            Assert.AreEqual("b", added.Object!.Data["a"]);
            Assert.AreEqual(created.Metadata.ResourceVersion, added.ResourceVersion);
            Assert.AreEqual(WatchEventType.Deleted, events[^1].Type);
        }
    }

    [TestMethod]
    public async Task SlowWatcher_IsEnded_InsteadOfBufferingWithoutBound()
    {
        await using var cluster = await TestCluster.StartAsync(o => o.WatcherBufferSize = 16);
        var rv = (await cluster.Client.ListAsync<V1ConfigMap>("default")).ResourceVersion;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var e = cluster.Client.WatchAsync<V1ConfigMap>("default", new ListOptions { ResourceVersion = rv }, cts.Token).GetAsyncEnumerator(cts.Token);
        var first = e.MoveNextAsync();
        for (var i = 0; i < 200; i++)
            await cluster.Client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"slow-{i}", NamespaceProperty = "default" } });
        var received = 0;
        if (await first) received++;
        while (await e.MoveNextAsync()) received++;
        Assert.IsTrue(received < 200, $"the watcher got {received} events; it should have been ended when its buffer filled");
        Assert.IsFalse(cts.IsCancellationRequested, "the watch must end by itself");
    }

    [TestMethod]
    public async Task Watch_UnderConcurrentWrites_SeesEveryChangeInOrder()
    {
        var ns = await NewNamespaceAsync();
        for (var i = 0; i < 4; i++)
            await _cluster.Client.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"c{i}", NamespaceProperty = ns }, Data = new Dictionary<string, string> { ["n"] = "0" } });
        var rv = (await _cluster.Client.ListAsync<V1ConfigMap>(ns)).ResourceVersion;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var lastSeen = new Dictionary<string, string>();
        var revisions = new List<long>();
        const int updates = 50;
        var watch = Task.Run(async () =>
        {
            await foreach (var e in _cluster.Client.WatchAsync<V1ConfigMap>(ns, new ListOptions { ResourceVersion = rv }, cts.Token))
            {
                revisions.Add(long.Parse(e.ResourceVersion!));
                lastSeen[e.Object!.Metadata.Name] = e.Object.Data["n"];
                if (lastSeen.Count == 4 && lastSeen.Values.All(v => v == updates.ToString())) return;
            }
        });
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
        {
            for (var n = 1; n <= updates; n++)
                await _cluster.Client.PatchAsync<V1ConfigMap>($"c{i}", ns, new KubePatch(KubePatchType.Merge, $$$"""{"data":{"n":"{{{n}}}"}}"""));
        }));
        await watch;
        Assert.AreEqual(4 * updates, revisions.Count, "every update is one MODIFIED event");
        for (var i = 1; i < revisions.Count; i++) Assert.IsTrue(revisions[i] > revisions[i - 1], "resourceVersions increase");
    }
}
