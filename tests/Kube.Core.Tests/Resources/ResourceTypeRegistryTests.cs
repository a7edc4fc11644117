using k8s.Models;
using Kube.Core.Resources;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.Resources;

[TestClass]
public sealed class ResourceTypeRegistryTests
{
    [TestMethod]
    [DataRow(typeof(V1Pod), "", "v1", "pods", true)]
    [DataRow(typeof(V1Deployment), "apps", "v1", "deployments", true)]
    [DataRow(typeof(V1Node), "", "v1", "nodes", false)]
    [DataRow(typeof(V1Lease), "coordination.k8s.io", "v1", "leases", true)]
    [DataRow(typeof(V1EndpointSlice), "discovery.k8s.io", "v1", "endpointslices", true)]
    public void Default_MapsModelTypesToResources(Type clr, string group, string version, string plural, bool namespaced)
    {
        var registry = ResourceTypeRegistry.CreateDefault();
        var t = registry.For(clr);
        Assert.AreEqual(group, t.Group);
        Assert.AreEqual(version, t.Version);
        Assert.AreEqual(plural, t.Plural);
        Assert.AreEqual(namespaced, t.Namespaced);
        Assert.AreSame(t, registry.FindByResource(group, version, plural));
        Assert.AreSame(t, registry.FindByApiVersionKind(t.ApiVersion, t.Kind));
    }

    [TestMethod]
    public void For_UnregisteredType_ThrowsWithName()
    {
        var registry = new ResourceTypeRegistry();
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => registry.For<V1Pod>());
        StringAssert.Contains(ex.Message, "V1Pod");
    }
}
