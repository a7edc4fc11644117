using k8s.Models;
using Kube.Core.Informers;
using Kube.Core.Selectors;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.Informers;

[TestClass]
public sealed class ListerTests
{
    [TestMethod]
    public void List_FiltersByNamespaceAndLabels()
    {
        var idx = new Indexer<V1Pod>();
        foreach (var (ns, name, app) in new[] { ("a", "p1", "web"), ("a", "p2", "db"), ("b", "p3", "web") })
            idx.Upsert(new V1Pod { Metadata = new V1ObjectMeta { NamespaceProperty = ns, Name = name, Labels = new Dictionary<string, string> { ["app"] = app } } });
        var lister = new Lister<V1Pod>(idx);
        Assert.AreEqual(3, lister.List().Count);
        Assert.AreEqual(2, lister.List(LabelSelector.Parse("app=web")).Count);
        CollectionAssert.AreEqual(new[] { "p1" }, lister.List("a", LabelSelector.Parse("app=web")).Select(p => p.Metadata.Name).ToArray());
        Assert.AreEqual(0, lister.List("a", LabelSelector.Nothing).Count);
        Assert.AreEqual("p3", lister.Get("b", "p3")!.Metadata.Name);
    }
}
