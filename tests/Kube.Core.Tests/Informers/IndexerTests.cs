using k8s.Models;
using Kube.Core.Informers;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.Informers;

[TestClass]
public sealed class IndexerTests
{
    private static V1Pod Pod(string ns, string name, string? node) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, ResourceVersion = "1" },
        Spec = new V1PodSpec { NodeName = node },
    };

    [TestMethod]
    public void NamespaceIndex_AndCustomIndex_FollowUpdatesAndRemovals()
    {
        var idx = new Indexer<V1Pod>();
        idx.Upsert(Pod("a", "p1", "n1"));
        idx.AddIndexer("byNode", p => p.Spec?.NodeName is { } n ? [n] : []);
        idx.Upsert(Pod("a", "p2", "n1"));
        idx.Upsert(Pod("b", "p3", null));

        Assert.AreEqual(2, idx.ByIndex(Indexers.Namespace, "a").Count);
        Assert.AreEqual(2, idx.ByIndex("byNode", "n1").Count, "indexes objects added before the index too");
        idx.Upsert(Pod("a", "p1", "n2"));
        CollectionAssert.AreEqual(new[] { "a/p2" }, idx.ByIndex("byNode", "n1").Select(Indexers.KeyOf).ToArray());
        CollectionAssert.AreEqual(new[] { "a/p1" }, idx.ByIndex("byNode", "n2").Select(Indexers.KeyOf).ToArray());
        Assert.IsNotNull(idx.Remove("a/p1"));
        Assert.AreEqual(0, idx.ByIndex("byNode", "n2").Count);
        Assert.IsNull(idx.Remove("a/p1"));
        Assert.AreEqual("p3", idx.Get("b", "p3")!.Metadata.Name);
        Assert.AreEqual(2, idx.Count);
        idx.Replace([Pod("c", "q", "n3")]);
        CollectionAssert.AreEqual(new[] { "c/q" }, idx.ListKeys().ToArray());
        Assert.AreEqual(0, idx.ByIndex(Indexers.Namespace, "a").Count);
        Assert.AreEqual(1, idx.ByIndex("byNode", "n3").Count);
    }

    [TestMethod]
    public void ByIndex_UnknownIndex_Throws()
    {
        var idx = new Indexer<V1Pod>();
        Assert.ThrowsExactly<InvalidOperationException>(() => idx.ByIndex("nope", "x"));
        Assert.ThrowsExactly<InvalidOperationException>(() => idx.AddIndexer(Indexers.Namespace, _ => []));
    }

    [TestMethod]
    public async Task ConcurrentReadersAndWriters_KeepIndexConsistent()
    {
        var idx = new Indexer<V1Pod>();
        idx.AddIndexer("byNode", p => p.Spec?.NodeName is { } n ? [n] : []);
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++) idx.Upsert(Pod("ns", "p" + (i % 50), "n" + ((i + w) % 3)));
        }));
        var reader = Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++) _ = idx.ByIndex("byNode", "n1").Count + idx.List().Count;
        });
        await Task.WhenAll(writers.Append(reader)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.AreEqual(50, idx.Count);
        var total = Enumerable.Range(0, 3).Sum(n => idx.ByIndex("byNode", "n" + n).Count);
        Assert.AreEqual(50, total, "every object is in exactly one node bucket");
    }
}
