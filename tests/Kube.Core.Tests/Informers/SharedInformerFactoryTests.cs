using k8s.Models;
using Kube.Core.Informers;
using Kube.Core.Tests.Testing;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.Informers;

[TestClass]
public sealed class SharedInformerFactoryTests
{
    private static V1Pod Pod(string name) => new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" } };

    [TestMethod]
    public async Task TwoConsumers_ShareOneInformerAndOneWatch()
    {
        var client = new InMemoryKubeClient();
        await client.CreateAsync(Pod("a"));
        var factory = new SharedInformerFactory(client);
        var first = factory.GetInformer<V1Pod>();
        var second = factory.GetInformer<V1Pod>();
        Assert.AreSame(first, second);
        var h1 = new RecordingHandler<V1Pod>();
        var h2 = new RecordingHandler<V1Pod>();
        first.AddEventHandler(h1);
        second.AddEventHandler(h2);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        factory.Start(cts.Token);
        await factory.WaitForCacheSyncAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => client.ActiveWatchers == 1, "one watch");
        await client.CreateAsync(Pod("b"));
        await Eventually.TrueAsync(() => h1.Count == 2 && h2.Count == 2, "both consumers see b");
        Assert.AreEqual(1, client.ListCallCount);
        Assert.AreEqual(1, client.WatchCallCount);
        Assert.AreEqual(1, factory.Count);

        await cts.CancelAsync();
        await factory.WhenStoppedAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.AreEqual(0, client.ActiveWatchers);
    }

    [TestMethod]
    public async Task DifferentSelectorsOrTypes_GetDifferentInformers_AndLateOnesStartAtOnce()
    {
        var client = new InMemoryKubeClient();
        var factory = new SharedInformerFactory(client);
        var all = factory.GetInformer<V1Pod>();
        Assert.AreNotSame(all, factory.GetInformer<V1Pod>("default"));
        Assert.AreNotSame(all, factory.GetInformer<V1Pod>(labelSelector: "a=b"));
        Assert.AreNotSame(all, factory.GetInformer<V1Pod>(fieldSelector: "spec.nodeName=n"));
        Assert.AreSame(all, factory.GetInformer<V1Pod>(null, "", ""));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        factory.Start(cts.Token);
        await factory.WaitForCacheSyncAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(10));

        var nodes = factory.GetInformer<V1Node>();
        await nodes.WaitForSyncAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsTrue(nodes.HasSynced);
        Assert.AreEqual(5, factory.Count);
        await cts.CancelAsync();
        await factory.WhenStoppedAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }
}
