using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.Tests.Testing;
using Microsoft.Extensions.Time.Testing;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using WatchEventType = Kube.Core.Client.WatchEventType;

namespace Kube.Core.Tests.Informers;

[TestClass]
public sealed class SharedInformerTests
{
    private static readonly InformerOptions Fast = new() { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(50), MinWatchDuration = TimeSpan.Zero };

    private static V1Pod Pod(string name, string ns = "default", string? node = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["app"] = "demo" } },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };

    private static async Task<(SharedInformer<V1Pod> Informer, RecordingHandler<V1Pod> Handler, CancellationTokenSource Cts, Task Run)> StartAsync(
        InMemoryKubeClient client, InformerOptions? options = null, TimeProvider? time = null)
    {
        var informer = new SharedInformer<V1Pod>(client, options: options ?? Fast, time: time);
        var handler = new RecordingHandler<V1Pod>();
        informer.AddEventHandler(handler);
        var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(10));
        return (informer, handler, cts, run);
    }

    private static async Task StopAsync(CancellationTokenSource cts, Task run)
    {
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        cts.Dispose();
    }

    [TestMethod]
    public async Task InitialSync_ListsInPagesOf500_FillsCache_AndDeliversInitialAdds()
    {
        var client = new InMemoryKubeClient();
        for (var i = 0; i < 1234; i++) await client.CreateAsync(Pod($"p{i:D4}", i % 2 == 0 ? "a" : "b"));
        var (informer, handler, cts, run) = await StartAsync(client, Fast with { PageSize = 500 });

        Assert.IsTrue(informer.HasSynced);
        Assert.AreEqual(3, client.ListCallCount, "1234 items in pages of 500");
        Assert.IsTrue(client.ListCalls.All(c => c.Options.Limit == 500));
        Assert.AreEqual(1234, informer.Cache.List().Count);
        Assert.AreEqual(617, informer.Cache.ByIndex(Indexers.Namespace, "a").Count);
        Assert.AreEqual(1234, handler.Count, "HasSynced implies the handler processed the initial list");
        Assert.IsTrue(handler.Events.All(e => e.StartsWith("add ", StringComparison.Ordinal) && e.EndsWith(" initial", StringComparison.Ordinal)));
        Assert.AreEqual(client.CurrentRevision.ToString(), informer.LastSyncResourceVersion);

        await Eventually.TrueAsync(() => client.WatchCallCount == 1, "the watch starts");
        var watch = client.WatchCalls[0].Options;
        Assert.AreEqual(client.CurrentRevision.ToString(), watch.ResourceVersion, "the watch starts at the list's version");
        Assert.IsTrue(watch.AllowWatchBookmarks);
        await StopAsync(cts, run);
    }

    [TestMethod]
    public async Task WatchEvents_UpdateCache_AndReachHandlersInOrder()
    {
        var client = new InMemoryKubeClient();
        var a = await client.CreateAsync(Pod("a"));
        await client.CreateAsync(Pod("b"));
        var (informer, handler, cts, run) = await StartAsync(client);
        await Eventually.TrueAsync(() => client.ActiveWatchers == 1, "watching");

        a.Spec.NodeName = "n1";
        var a2 = await client.UpdateAsync(a);
        await client.DeleteAsync<V1Pod>("b", "default");
        var c = await client.CreateAsync(Pod("c"));

        await Eventually.TrueAsync(() => handler.Count == 5, "three live events");
        CollectionAssert.AreEqual(
            new[] { $"update a {a.Metadata.ResourceVersion}->{a2.Metadata.ResourceVersion}", $"delete b {int.Parse(c.Metadata.ResourceVersion) - 1}", $"add c {c.Metadata.ResourceVersion} live" },
            handler.Events.Skip(2).ToArray());
        Assert.AreEqual("n1", informer.Cache.Get("default", "a")!.Spec.NodeName);
        Assert.IsNull(informer.Cache.Get("default/b"));
        Assert.IsNotNull(informer.Cache.Get("default/c"));
        Assert.AreEqual(c.Metadata.ResourceVersion, informer.LastSyncResourceVersion);
        await StopAsync(cts, run);
    }

    [TestMethod]
    public async Task WatchEnd_ResumesFromLastSeenVersion_WithoutDuplicatesOrRelist()
    {
        var client = new InMemoryKubeClient();
        await client.CreateAsync(Pod("a"));
        var (informer, handler, cts, run) = await StartAsync(client);
        await Eventually.TrueAsync(() => client.ActiveWatchers == 1, "watching");

        var b = await client.CreateAsync(Pod("b"));
        await Eventually.TrueAsync(() => handler.Count == 2, "b delivered");
        client.EndWatches();
        await Eventually.TrueAsync(() => client.WatchCallCount == 2 && client.ActiveWatchers == 1, "re-watch");
        Assert.AreEqual(b.Metadata.ResourceVersion, client.WatchCalls[1].Options.ResourceVersion, "resumes from the last seen version");

        // the server repeats b (same resourceVersion) and then sends a bookmark; neither reaches the handler
        client.Push(new WatchEvent<V1Pod>(WatchEventType.Modified, b));
        var c = await client.CreateAsync(Pod("c"));
        client.Bookmark<V1Pod>();
        await Eventually.TrueAsync(() => handler.Count >= 3, "c delivered");
        await Eventually.TrueAsync(() => informer.LastSyncResourceVersion == client.CurrentRevision.ToString(), "bookmark seen");

        CollectionAssert.AreEqual(new[] { "add a 101 initial", $"add b {b.Metadata.ResourceVersion} live", $"add c {c.Metadata.ResourceVersion} live" }, handler.Events.ToArray());
        Assert.AreEqual(1, informer.ListCount, "no relist after a normal disconnect");
        await StopAsync(cts, run);
    }

    [TestMethod]
    public async Task Gone_Relists_DiffsAgainstCache_AndDeliversTombstones()
    {
        var client = new InMemoryKubeClient();
        await client.CreateAsync(Pod("a"));
        var b = await client.CreateAsync(Pod("b"));
        var c = await client.CreateAsync(Pod("c"));
        var (informer, handler, cts, run) = await StartAsync(client);
        await Eventually.TrueAsync(() => client.ActiveWatchers == 1, "watching");

        // changes the informer never sees as events, then the history is compacted and the watch expires
        client.Silently(b, delete: true);
        c.Spec.NodeName = "n9";
        var c2 = client.Silently(c)!;
        var d = client.Silently(Pod("d"))!;
        client.Compact();
        client.ExpireWatches();

        await Eventually.TrueAsync(() => informer.ListCount == 2 && handler.Count == 6, "relist after 410");
        CollectionAssert.AreEquivalent(
            new[] { $"delete b {b.Metadata.ResourceVersion} unknown", $"update c {c.Metadata.ResourceVersion}->{c2.Metadata.ResourceVersion}", $"add d {d.Metadata.ResourceVersion} live" },
            handler.Events.Skip(3).ToArray());
        CollectionAssert.AreEquivalent(new[] { "default/a", "default/c", "default/d" }, informer.Cache.ListKeys().ToArray());
        await Eventually.TrueAsync(() => client.ActiveWatchers == 1, "watching again");
        Assert.AreEqual(client.CurrentRevision.ToString(), client.WatchCalls[^1].Options.ResourceVersion);
        await StopAsync(cts, run);
    }

    [TestMethod]
    public async Task TooOldVersionOnRewatch_Relists()
    {
        var client = new InMemoryKubeClient();
        await client.CreateAsync(Pod("a"));
        var (informer, handler, cts, run) = await StartAsync(client);
        await Eventually.TrueAsync(() => client.ActiveWatchers == 1, "watching");

        client.Silently(Pod("x"));
        client.Compact();
        client.EndWatches(); // the re-watch from the old version gets 410 before any event

        await Eventually.TrueAsync(() => informer.ListCount == 2 && handler.Count == 2, "relist after 410 on watch start");
        StringAssert.StartsWith(handler.Events[1], "add x ");
        await StopAsync(cts, run);
    }

    [TestMethod]
    public async Task LateHandler_GetsSyntheticAddsForTheCache_ThenLiveEvents()
    {
        var client = new InMemoryKubeClient();
        for (var i = 0; i < 5; i++) await client.CreateAsync(Pod("p" + i));
        var (informer, _, cts, run) = await StartAsync(client);
        await Eventually.TrueAsync(() => client.ActiveWatchers == 1, "watching");

        var late = new RecordingHandler<V1Pod>();
        using var registration = informer.AddEventHandler(late);
        await Eventually.TrueAsync(() => late.Count == 5, "synthetic adds");
        Assert.IsTrue(late.Events.All(e => e.EndsWith(" initial", StringComparison.Ordinal)));
        await client.CreateAsync(Pod("new"));
        await Eventually.TrueAsync(() => late.Count == 6, "live add");
        StringAssert.EndsWith(late.Events[5], " live");

        registration.Dispose();
        await client.CreateAsync(Pod("after-removal"));
        var other = new RecordingHandler<V1Pod>();
        informer.AddEventHandler(other);
        await Eventually.TrueAsync(() => other.Count == 7, "cache has the new pod");
        Assert.AreEqual(6, late.Count, "a removed handler gets nothing more");
        await StopAsync(cts, run);
    }

    [TestMethod]
    public async Task FailingHandler_DoesNotStopDelivery_NorBlockOtherHandlers()
    {
        var client = new InMemoryKubeClient();
        await client.CreateAsync(Pod("a"));
        var (informer, handler, cts, run) = await StartAsync(client);
        handler.ThrowOn = p => p.Metadata.Name == "boom";
        var blockedGate = new ManualResetEventSlim(false);
        var blocked = new BlockingHandler(blockedGate);
        informer.AddEventHandler(blocked);
        await client.CreateAsync(Pod("boom"));
        await client.CreateAsync(Pod("z"));
        await Eventually.TrueAsync(() => handler.Count == 3, "delivery continues after a throwing handler");
        Assert.IsTrue(informer.Cache.Get("default/z") is not null);
        blockedGate.Set();
        await Eventually.TrueAsync(() => blocked.Count == 3, "the blocked handler catches up");
        await StopAsync(cts, run);
    }

    [TestMethod]
    public async Task FailedLists_AreRetriedWithBackoff_OnTheInjectedClock()
    {
        var time = new CountingTimeProvider();
        var client = new InMemoryKubeClient { FailLists = 2 };
        await client.CreateAsync(Pod("a"));
        var informer = new SharedInformer<V1Pod>(client, options: new InformerOptions(), time: time);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = informer.RunAsync(cts.Token);
        await Eventually.TrueAsync(() => client.ListCallCount == 1 && time.Created == 1, "first list fails; the backoff waits on the clock");
        for (var i = 0; i < 20; i++) await Task.Yield();
        Assert.AreEqual(1, client.ListCallCount, "no retry before the clock moves");
        Assert.IsFalse(informer.HasSynced);

        // backoff is capped at 30 s: one advance of 31 s per retry is enough
        time.Advance(TimeSpan.FromSeconds(31));
        await Eventually.TrueAsync(() => client.ListCallCount == 2 && time.Created == 2, "second attempt fails and backs off");
        time.Advance(TimeSpan.FromSeconds(31));
        await informer.WaitForSyncAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.AreEqual(3, client.ListCallCount);
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [TestMethod]
    public async Task Resync_RedeliversEveryObject_AsUpdateWithSameVersion()
    {
        var time = new FakeTimeProvider();
        var client = new InMemoryKubeClient();
        var a = await client.CreateAsync(Pod("a"));
        var (_, handler, cts, run) = await StartAsync(client, Fast with { ResyncPeriod = TimeSpan.FromMinutes(10) }, time);
        time.Advance(TimeSpan.FromMinutes(10));
        await Eventually.TrueAsync(() => handler.Count == 2, "resync");
        Assert.AreEqual($"update a {a.Metadata.ResourceVersion}->{a.Metadata.ResourceVersion}", handler.Events[1]);
        time.Advance(TimeSpan.FromMinutes(10));
        await Eventually.TrueAsync(() => handler.Count == 3, "second resync");
        await StopAsync(cts, run);
    }

    [TestMethod]
    public async Task Selectors_ArePassedToListAndWatch()
    {
        var client = new InMemoryKubeClient();
        await client.CreateAsync(Pod("on-n1", node: "n1"));
        await client.CreateAsync(Pod("on-n2", node: "n2"));
        await client.CreateAsync(Pod("other-ns", ns: "kube-system", node: "n1"));
        var informer = new SharedInformer<V1Pod>(client, "default", "app=demo", "spec.nodeName=n1", Fast);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync(cts.Token);
        CollectionAssert.AreEqual(new[] { "default/on-n1" }, informer.Cache.ListKeys().ToArray());
        Assert.AreEqual("spec.nodeName=n1", client.ListCalls[0].Options.FieldSelector);
        Assert.AreEqual("app=demo", client.ListCalls[0].Options.LabelSelector);
        Assert.AreEqual("default", client.ListCalls[0].Namespace);
        await Eventually.TrueAsync(() => client.WatchCallCount == 1, "watching");
        Assert.AreEqual("spec.nodeName=n1", client.WatchCalls[0].Options.FieldSelector);
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [TestMethod]
    public async Task EnqueueKeys_FeedsAWorkQueue_WithDeduplicatedKeys()
    {
        var client = new InMemoryKubeClient();
        await client.CreateAsync(Pod("a"));
        using var queue = new Kube.Core.WorkQueue.WorkQueue<string>();
        var informer = new SharedInformer<V1Pod>(client, options: Fast);
        informer.AddEventHandler(ResourceEventHandler<V1Pod>.EnqueueKeys(queue));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync(cts.Token);
        await Eventually.TrueAsync(() => client.ActiveWatchers == 1, "watching");
        var a = await client.GetAsync<V1Pod>("a", "default");
        a.Spec.NodeName = "n";
        await client.UpdateAsync(a);
        await client.CreateAsync(Pod("b", ns: "other"));
        await Eventually.TrueAsync(() => queue.Count == 2, "two distinct keys");
        var (_, first) = await queue.GetAsync(cts.Token);
        var (_, second) = await queue.GetAsync(cts.Token);
        CollectionAssert.AreEquivalent(new[] { "default/a", "other/b" }, new[] { first, second });
        await StopAsync(cts, run);
    }

    [TestMethod]
    public async Task RunAsync_Twice_Throws()
    {
        var client = new InMemoryKubeClient();
        var (informer, _, cts, run) = await StartAsync(client);
        await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => informer.RunAsync(CancellationToken.None));
        await StopAsync(cts, run);
    }

    private sealed class BlockingHandler(ManualResetEventSlim gate) : IResourceEventHandler<V1Pod>
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void OnAdd(V1Pod obj, bool isInInitialList)
        {
            gate.Wait(TimeSpan.FromSeconds(10));
            Interlocked.Increment(ref _count);
        }

        public void OnUpdate(V1Pod oldObj, V1Pod newObj) => Interlocked.Increment(ref _count);

        public void OnDelete(V1Pod obj, bool finalStateUnknown) => Interlocked.Increment(ref _count);
    }
}
