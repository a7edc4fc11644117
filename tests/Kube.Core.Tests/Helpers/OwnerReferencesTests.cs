using k8s.Models;
using Kube.Core.Helpers;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.Helpers;

[TestClass]
public sealed class OwnerReferencesTests
{
    private static V1ReplicaSet Rs(string uid) => new() { Metadata = new V1ObjectMeta { Name = "rs-" + uid, NamespaceProperty = "ns", Uid = uid } };

    [TestMethod]
    public void NewControllerRef_UsesModelApiVersionAndKind_WhenObjectLacksThem()
    {
        var r = OwnerReferences.NewControllerRef(Rs("u1"));
        Assert.AreEqual("apps/v1", r.ApiVersion);
        Assert.AreEqual("ReplicaSet", r.Kind);
        Assert.AreEqual("rs-u1", r.Name);
        Assert.AreEqual("u1", r.Uid);
        Assert.IsTrue(r.Controller);
        Assert.IsTrue(r.BlockOwnerDeletion);
        Assert.ThrowsExactly<ArgumentException>(() => OwnerReferences.NewControllerRef(new V1ReplicaSet { Metadata = new V1ObjectMeta { Name = "x" } }));
    }

    [TestMethod]
    public void SetControllerReference_ThenIsControlledBy_AndRefusesASecondController()
    {
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "p" } };
        var owner = Rs("u1");
        Assert.IsNull(OwnerReferences.GetControllerOf(pod));
        OwnerReferences.SetControllerReference(pod, owner);
        OwnerReferences.SetControllerReference(pod, owner); // idempotent
        Assert.AreEqual(1, pod.Metadata.OwnerReferences.Count);
        Assert.IsTrue(OwnerReferences.IsControlledBy(pod, owner));
        Assert.IsFalse(OwnerReferences.IsControlledBy(pod, Rs("u2")));
        Assert.IsTrue(OwnerReferences.HasOwner(pod, "u1"));
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => OwnerReferences.SetControllerReference(pod, Rs("u2")));
        StringAssert.Contains(ex.Message, "rs-u1");
        Assert.IsTrue(OwnerReferences.RemoveOwnerReference(pod, "u1"));
        Assert.IsNull(OwnerReferences.GetControllerOf(pod));
        Assert.IsFalse(OwnerReferences.RemoveOwnerReference(pod, "u1"));
    }

    [TestMethod]
    public void Finalizers_AddHasRemove()
    {
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "p" } };
        Assert.IsTrue(Finalizers.Add(pod, "example.com/cleanup"));
        Assert.IsFalse(Finalizers.Add(pod, "example.com/cleanup"));
        Assert.IsTrue(Finalizers.Has(pod, "example.com/cleanup"));
        Assert.IsFalse(Finalizers.IsBeingDeleted(pod));
        Assert.IsTrue(Finalizers.Remove(pod, "example.com/cleanup"));
        Assert.IsNull(pod.Metadata.Finalizers);
        Assert.IsFalse(Finalizers.Remove(pod, "example.com/cleanup"));
    }
}
