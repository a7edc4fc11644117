using k8s.Models;
using Kube.Scheduling.Cache;
using Microsoft.Extensions.Time.Testing;

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

    [TestMethod]
    public void AssumedPods_NeverExpireByTime_ByDefault()
    {
        var time = new FakeTimeProvider();
        var cache = new SchedulerCache(time, TimeSpan.Zero);
        cache.AddOrUpdateNode(TestObjects.Node("n1"));
        var pod = TestObjects.Pod("p", cpu: "1");
        cache.AssumePod(pod, "n1");
        cache.FinishBinding(pod);
        time.Advance(TimeSpan.FromHours(1));
        Assert.AreEqual(0, cache.CleanupExpiredAssumedPods().Count);
        Assert.IsTrue(cache.IsAssumed(pod.Metadata.Uid));
        Assert.AreEqual(1000, cache.Snapshot()[0].Requested.MilliCpu);
        Assert.AreEqual(TimeSpan.Zero, new SchedulerCache().AssumedPodTtl, "upstream's durationToExpireAssumedPod is 0");
    }

    [TestMethod]
    // seconds after FinishBinding | binding finished | expected to expire (TTL 30 s)
    [DataRow(29, true, false, DisplayName = "within the TTL")]
    [DataRow(30, true, true, DisplayName = "TTL reached")]
    [DataRow(3600, false, false, DisplayName = "binding still in flight: never expires")]
    public void AssumedPods_WithATtl_ExpireOnlyAfterTheirBindingFinished(int seconds, bool finished, bool expired)
    {
        var time = new FakeTimeProvider();
        var cache = new SchedulerCache(time, TimeSpan.FromSeconds(30));
        cache.AddOrUpdateNode(TestObjects.Node("n1"));
        var pod = TestObjects.Pod("p", cpu: "1");
        cache.AssumePod(pod, "n1");
        if (finished) cache.FinishBinding(pod);
        time.Advance(TimeSpan.FromSeconds(seconds));
        var removed = cache.CleanupExpiredAssumedPods();
        Assert.AreEqual(expired ? 1 : 0, removed.Count);
        Assert.AreEqual(!expired, cache.Contains(pod.Metadata.Uid));
        Assert.AreEqual(expired ? 0 : 1000, cache.Snapshot()[0].Requested.MilliCpu);
    }

    [TestMethod]
    public void ConfirmedPods_DoNotExpire()
    {
        var time = new FakeTimeProvider();
        var cache = new SchedulerCache(time, TimeSpan.FromSeconds(30));
        cache.AddOrUpdateNode(TestObjects.Node("n1"));
        var pod = TestObjects.Pod("p", cpu: "1");
        cache.AssumePod(pod, "n1");
        cache.FinishBinding(pod);
        cache.AddOrUpdatePod(TestObjects.Pod("p", cpu: "1", nodeName: "n1"));
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.AreEqual(0, cache.CleanupExpiredAssumedPods().Count);
        Assert.IsTrue(cache.Contains(pod.Metadata.Uid));
        Assert.IsFalse(cache.IsAssumed(pod.Metadata.Uid));
    }

    [TestMethod]
    public void AssumedPod_DeletedBeforeConfirmation_FreesItsRoom_AndForgetIsThenANoOp()
    {
        var cache = new SchedulerCache();
        cache.AddOrUpdateNode(TestObjects.Node("n1"));
        var pod = TestObjects.Pod("p", cpu: "1");
        cache.AssumePod(pod, "n1");
        cache.RemovePod(pod);
        Assert.IsFalse(cache.Contains(pod.Metadata.Uid));
        Assert.AreEqual(0, cache.Snapshot()[0].Requested.MilliCpu);
        cache.ForgetPod(pod); // the in-flight binding then fails with NotFound
        cache.FinishBinding(pod);
        Assert.AreEqual(0, cache.AssumedPodCount);
        Assert.AreEqual(0, cache.Snapshot()[0].Pods.Count);
    }

    [TestMethod]
    public void InformerAdd_OnAnotherNode_MovesTheAssumedPod()
    {
        var cache = new SchedulerCache();
        cache.AddOrUpdateNode(TestObjects.Node("n1"));
        cache.AddOrUpdateNode(TestObjects.Node("n2"));
        var pod = TestObjects.Pod("p", cpu: "1");
        cache.AssumePod(pod, "n1");
        cache.AddOrUpdatePod(TestObjects.Pod("p", cpu: "1", nodeName: "n2"));
        var snapshot = cache.Snapshot();
        Assert.AreEqual(0, snapshot.Single(n => n.Name == "n1").Requested.MilliCpu);
        Assert.AreEqual(1000, snapshot.Single(n => n.Name == "n2").Requested.MilliCpu);
        Assert.AreEqual(0, cache.AssumedPodCount);
    }

    [TestMethod]
    public void Snapshot_KeepsTheListsOfNodesWithAffinityPods_Incrementally()
    {
        var cache = new SchedulerCache();
        foreach (var n in new[] { "n1", "n2", "n3" }) cache.AddOrUpdateNode(TestObjects.Node(n));
        var anti = TestObjects.Pod("anti", nodeName: "n2");
        anti.Spec.Affinity = new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector() }] } };
        var preferred = TestObjects.Pod("pref", nodeName: "n3");
        preferred.Spec.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [new V1WeightedPodAffinityTerm { Weight = 1, PodAffinityTerm = new V1PodAffinityTerm { TopologyKey = "zone" } }] } };
        cache.AddOrUpdatePod(TestObjects.Pod("plain", nodeName: "n1"));
        cache.AddOrUpdatePod(anti);
        cache.AddOrUpdatePod(preferred);
        var s = cache.Snapshot();
        CollectionAssert.AreEqual(new[] { "n2", "n3" }, s.HavePodsWithAffinity.Select(n => n.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "n2" }, s.HavePodsWithRequiredAntiAffinity.Select(n => n.Name).ToArray());
        Assert.AreEqual(1, s.HavePodsWithRequiredAntiAffinity[0].PodsWithRequiredAntiAffinity.Count);

        // A change on a listed node replaces its copy in the lists too; removing the last such pod drops the node.
        cache.AddOrUpdatePod(TestObjects.Pod("more", nodeName: "n2"));
        s = cache.Snapshot();
        Assert.AreSame(s.Single(n => n.Name == "n2"), s.HavePodsWithRequiredAntiAffinity[0]);
        Assert.AreEqual(2, s.HavePodsWithRequiredAntiAffinity[0].Pods.Count);
        cache.RemovePod(anti);
        s = cache.Snapshot();
        CollectionAssert.AreEqual(new[] { "n3" }, s.HavePodsWithAffinity.Select(n => n.Name).ToArray());
        Assert.AreEqual(0, s.HavePodsWithRequiredAntiAffinity.Count);
    }
}
