using k8s;
using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.LeaderElection;
using Kube.Core.Tests.Testing;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using WatchEventType = Kube.Core.Client.WatchEventType;

namespace Kube.Core.Tests.Integration;

/// <summary>HttpKubeClient, SharedInformer and LeaderElector against the real Kube.ApiServer over HTTP on 127.0.0.1.</summary>
[TestClass]
public sealed class ApiServerIntegrationTests
{
    private static V1ConfigMap Cm(string name, string value = "1", string app = "demo") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = app } },
        Data = new Dictionary<string, string> { ["v"] = value },
    };

    [TestMethod]
    public async Task HttpClient_Crud_Conflicts_Paging_Patch_AndDelete()
    {
        await using var api = await RealApiServer.StartAsync();
        var client = api.Client;

        var created = await client.CreateAsync(Cm("a"));
        Assert.IsFalse(string.IsNullOrEmpty(created.Metadata.ResourceVersion));
        Assert.IsFalse(string.IsNullOrEmpty(created.Metadata.Uid));
        await Assert.ThrowsExactlyAsync<AlreadyExistsException>(() => client.CreateAsync(Cm("a")));

        var got = await client.GetAsync<V1ConfigMap>("a", "default");
        Assert.AreEqual("1", got.Data["v"]);
        got.Data["v"] = "2";
        var updated = await client.UpdateAsync(got);
        Assert.AreNotEqual(created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);
        created.Data["v"] = "stale";
        await Assert.ThrowsExactlyAsync<ConflictException>(() => client.UpdateAsync(created), "a stale resourceVersion conflicts");

        for (var i = 0; i < 4; i++) await client.CreateAsync(Cm("p" + i, app: "paged"));
        var names = new List<string>();
        string? cont = null;
        var pages = 0;
        do
        {
            var page = await client.ListAsync<V1ConfigMap>("default", new ListOptions { LabelSelector = "app=paged", Limit = 3, Continue = cont });
            names.AddRange(page.Items.Select(c => c.Metadata.Name));
            cont = page.Continue;
            pages++;
        }
        while (cont is not null && pages < 10);
        CollectionAssert.AreEquivalent(new[] { "p0", "p1", "p2", "p3" }, names);
        Assert.AreEqual(2, pages);

        var patched = await client.PatchAsync<V1ConfigMap>("a", "default", new KubePatch(KubePatchType.Merge, "{\"data\":{\"w\":\"x\"}}"));
        Assert.AreEqual("x", patched.Data["w"]);
        Assert.AreEqual("2", patched.Data["v"]);

        Assert.IsNull(await client.DeleteAsync<V1ConfigMap>("a", "default"), "gone at once: null");
        await Assert.ThrowsExactlyAsync<NotFoundException>(() => client.GetAsync<V1ConfigMap>("a", "default"));
        await Assert.ThrowsExactlyAsync<NotFoundException>(() => client.DeleteAsync<V1ConfigMap>("a", "default"));
    }

    [TestMethod]
    public async Task HttpClient_Watch_StreamsChanges_AndTooOldVersionIsGone()
    {
        await using var api = await RealApiServer.StartAsync(o => o.WatchCacheCapacity = 8);
        var client = api.Client;
        var first = await client.CreateAsync(Cm("w0"));
        var list = await client.ListAsync<V1ConfigMap>("default");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var e = client.WatchAsync<V1ConfigMap>("default", new ListOptions { ResourceVersion = list.ResourceVersion, AllowWatchBookmarks = true }, cts.Token)
            .GetAsyncEnumerator(cts.Token);
        var moving = e.MoveNextAsync().AsTask();
        await client.CreateAsync(Cm("w1"));
        Assert.IsTrue(await moving);
        Assert.AreEqual(WatchEventType.Added, e.Current.Type);
        Assert.AreEqual("w1", e.Current.Object!.Metadata.Name);
        await client.DeleteAsync<V1ConfigMap>("w0", "default");
        Assert.IsTrue(await e.MoveNextAsync());
        Assert.AreEqual(WatchEventType.Deleted, e.Current.Type);
        Assert.AreEqual("w0", e.Current.Object!.Metadata.Name);

        for (var i = 0; i < 20; i++) await client.CreateAsync(Cm("x" + i));
        var latest = await client.ListAsync<V1ConfigMap>("default");
        await api.Store.CompactAsync(long.Parse(latest.ResourceVersion));
        await Assert.ThrowsExactlyAsync<GoneException>(async () =>
        {
            await foreach (var ev in client.WatchAsync<V1ConfigMap>("default", new ListOptions { ResourceVersion = first.Metadata.ResourceVersion }, cts.Token))
            {
                Assert.Fail($"expected 410 but got {ev.Type} {ev.Object?.Metadata?.Name}");
            }
        }, "a version older than the watch cache is 410");
    }

    [TestMethod]
    public async Task SharedInformer_OverHttp_SyncsInPages_AndFollowsChanges()
    {
        await using var api = await RealApiServer.StartAsync();
        var client = api.Client;
        for (var i = 0; i < 25; i++) await client.CreateAsync(Cm($"c{i:D2}"));
        await client.CreateAsync(Cm("other", app: "other"));

        var informer = new SharedInformer<V1ConfigMap>(client, "default", "app=demo", options: new InformerOptions { PageSize = 10 });
        var handler = new RecordingHandler<V1ConfigMap>();
        informer.AddEventHandler(handler);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.AreEqual(25, informer.Cache.List().Count);
        Assert.AreEqual(25, handler.Count);

        var c0 = await client.GetAsync<V1ConfigMap>("c00", "default");
        c0.Data["v"] = "changed";
        await client.UpdateAsync(c0);
        await client.DeleteAsync<V1ConfigMap>("c01", "default");
        await client.CreateAsync(Cm("late"));
        await client.CreateAsync(Cm("ignored", app: "other"));
        await Eventually.TrueAsync(() => handler.Count == 28, "three live events", TimeSpan.FromSeconds(20));
        var live = handler.Events.Skip(25).ToArray();
        StringAssert.StartsWith(live[0], "update c00 ");
        StringAssert.StartsWith(live[1], "delete c01 ");
        StringAssert.StartsWith(live[2], "add late ");
        Assert.AreEqual("changed", informer.Cache.Get("default", "c00")!.Data["v"]);
        Assert.IsNull(informer.Cache.Get("default", "ignored"), "the label selector applies to the watch");

        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [TestMethod]
    public async Task LeaderElection_OverHttp_OneLeader_AndMicroTimesRoundTrip()
    {
        await using var api = await RealApiServer.StartAsync();
        var a = new LeaderElector(api.Client, new LeaderElectionOptions { LeaseName = "ctrl", Identity = "a" });
        var b = new LeaderElector(api.Client, new LeaderElectionOptions { LeaseName = "ctrl", Identity = "b" });
        var results = await Task.WhenAll(a.TryAcquireOrRenewAsync(CancellationToken.None), b.TryAcquireOrRenewAsync(CancellationToken.None));
        Assert.AreEqual(1, results.Count(r => r), "exactly one leader");
        var lease = await api.Client.GetAsync<V1Lease>("ctrl", "kube-system");
        Assert.AreEqual(results[0] ? "a" : "b", lease.Spec.HolderIdentity);
        Assert.IsNotNull(lease.Spec.RenewTime);
        Assert.IsNotNull(lease.Spec.AcquireTime);
        var winner = results[0] ? a : b;
        Assert.IsTrue(await winner.TryAcquireOrRenewAsync(CancellationToken.None), "the holder renews");
        Assert.IsFalse(await (results[0] ? b : a).TryAcquireOrRenewAsync(CancellationToken.None));
    }

    [TestMethod]
    public async Task FromConfig_WithAKubeconfigFile_ReachesTheServer()
    {
        await using var api = await RealApiServer.StartAsync();
        var path = Path.Combine(api.DataDir, "kubeconfig");
        await File.WriteAllTextAsync(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: local
              cluster:
                server: {api.Server.BaseAddress.ToString().TrimEnd('/')}
            users:
            - name: admin
              user:
                token: test-token
            contexts:
            - name: local
              context:
                cluster: local
                user: admin
            current-context: local
            """);
        using var client = HttpKubeClient.FromConfig(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
        var ns = await client.GetAsync<V1Namespace>("default");
        Assert.AreEqual("default", ns.Metadata.Name);
    }

    [TestMethod]
    public async Task SharedInformer_OverInProcessClient_FollowsChanges()
    {
        await using var api = await RealApiServer.StartAsync();
        var inProcess = api.Server.CreateClient(Kube.Core.Admission.UserInfo.Admin);
        await inProcess.CreateAsync(Cm("a"));
        var factory = new SharedInformerFactory(inProcess);
        var informer = factory.GetInformer<V1ConfigMap>("default");
        var handler = new RecordingHandler<V1ConfigMap>();
        informer.AddEventHandler(handler);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        factory.Start(cts.Token);
        await factory.WaitForCacheSyncAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(20));
        await inProcess.CreateAsync(Cm("b"));
        await inProcess.DeleteAsync<V1ConfigMap>("a", "default");
        await Eventually.TrueAsync(() => handler.Count == 3, "add a, add b, delete a", TimeSpan.FromSeconds(20));
        StringAssert.StartsWith(handler.Events[2], "delete a ");
        await cts.CancelAsync();
        await factory.WhenStoppedAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [TestMethod]
    public async Task SharedInformer_SurvivesServerRestart_AndRelistsWithTombstonesAfterCompaction()
    {
        var api = await RealApiServer.StartAsync();
        var port = api.Server.BaseAddress.Port;
        Kube.ApiServer.KubeApiServer? second = null;
        try
        {
            var client = api.Client;
            await client.CreateAsync(Cm("keep"));
            await client.CreateAsync(Cm("doomed"));
            var informer = new SharedInformer<V1ConfigMap>(client, "default",
                options: new InformerOptions { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) });
            var handler = new RecordingHandler<V1ConfigMap>();
            informer.AddEventHandler(handler);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var run = informer.RunAsync(cts.Token);
            await informer.WaitForSyncAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.AreEqual(1, informer.ListCount);

            // the server goes away; while it is down the object is deleted and history compacted. The changes go through
            // a server on another port, so the informer cannot reconnect (and see them as plain watch events) before the
            // compaction; only then does a server come back on its port.
            await api.Server.DisposeAsync();
            await using (var offline = await Kube.ApiServer.KubeApiServer.StartAsync(new Kube.ApiServer.ApiServerOptions { Port = 0 }, api.Store))
            {
                var writer = offline.CreateClient(Kube.Core.Admission.UserInfo.Admin);
                await writer.DeleteAsync<V1ConfigMap>("doomed", "default");
                await writer.CreateAsync(Cm("born"));
                var now = await writer.ListAsync<V1ConfigMap>("default");
                await api.Store.CompactAsync(long.Parse(now.ResourceVersion));
            }
            second = await Kube.ApiServer.KubeApiServer.StartAsync(new Kube.ApiServer.ApiServerOptions { Port = port }, api.Store);
            var direct = second.CreateClient(Kube.Core.Admission.UserInfo.Admin);

            await Eventually.TrueAsync(() => informer.ListCount >= 2 && handler.Count == 4, "relist after 410 on the restarted server", TimeSpan.FromSeconds(30));
            var afterRelist = handler.Events.Skip(2).ToArray();
            Assert.IsTrue(afterRelist.Any(e => e.StartsWith("delete doomed ", StringComparison.Ordinal) && e.EndsWith(" unknown", StringComparison.Ordinal)), string.Join("; ", afterRelist));
            Assert.IsTrue(afterRelist.Any(e => e.StartsWith("add born ", StringComparison.Ordinal)), string.Join("; ", afterRelist));
            CollectionAssert.AreEquivalent(new[] { "default/keep", "default/born" }, informer.Cache.ListKeys().ToArray());

            await direct.CreateAsync(Cm("after"));
            await Eventually.TrueAsync(() => handler.Count == 5, "watching again after the relist", TimeSpan.FromSeconds(20));
            await cts.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            if (second is not null) await second.DisposeAsync();
            await api.DisposeAsync();
        }
    }
}
