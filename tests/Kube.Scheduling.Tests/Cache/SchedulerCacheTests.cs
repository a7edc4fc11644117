using Kube.Scheduling.Cache;

namespace Kube.Scheduling.Tests.Cache;

[TestClass]
public sealed class SchedulerCacheTests
{
    [TestMethod]
    public void AssumedAndBoundPods_CountTowardsRequested_ForgetUndoes()
    {
        var cache = new SchedulerCache();
        cache.AddOrUpdateNode(TestObjects.Node("n1", cpu: "4"));
        var pod = TestObjects.Pod("p", cpu: "1");
        cache.AssumePod(pod, "n1");
        Assert.AreEqual(1000, cache.Snapshot()[0].Requested.MilliCpu);
        Assert.IsTrue(cache.IsAssumed(pod.Metadata.Uid));

        cache.ForgetPod(pod);
        Assert.AreEqual(0, cache.Snapshot()[0].Requested.MilliCpu);

        cache.AddOrUpdatePod(TestObjects.Pod("q", cpu: "2", nodeName: "n1"));
        cache.AddOrUpdatePod(TestObjects.Pod("q", cpu: "2", nodeName: "n1")); // an update does not double-count
        var snap = cache.Snapshot()[0];
        Assert.AreEqual(2000, snap.Requested.MilliCpu);
        Assert.AreEqual(1, snap.Pods.Count);
    }

    [TestMethod]
    public void InformerConfirmation_ReplacesTheAssumedPod()
    {
        var cache = new SchedulerCache();
        cache.AddOrUpdateNode(TestObjects.Node("n1"));
        var pod = TestObjects.Pod("p", cpu: "1");
        cache.AssumePod(pod, "n1");
        cache.AddOrUpdatePod(TestObjects.Pod("p", cpu: "1", nodeName: "n1"));
        Assert.IsFalse(cache.IsAssumed(pod.Metadata.Uid));
        Assert.AreEqual(1000, cache.Snapshot()[0].Requested.MilliCpu);
    }

    [TestMethod]
    public void PodsSeenBeforeTheirNode_CountOnceTheNodeArrives()
    {
        var cache = new SchedulerCache();
        cache.AddOrUpdatePod(TestObjects.Pod("p", cpu: "1", nodeName: "late"));
        cache.AddOrUpdateNode(TestObjects.Node("late"));
        Assert.AreEqual(1000, cache.Snapshot()[0].Requested.MilliCpu);
    }

    [TestMethod]
    public void Snapshot_IsNotChangedByLaterCacheChanges()
    {
        var cache = new SchedulerCache();
        cache.AddOrUpdateNode(TestObjects.Node("n1"));
        var before = cache.Snapshot()[0];
        cache.AddOrUpdatePod(TestObjects.Pod("p", cpu: "1", nodeName: "n1"));
        Assert.AreEqual(0, before.Requested.MilliCpu);
        Assert.AreEqual(1000, cache.Snapshot()[0].Requested.MilliCpu);
    }
}
