using k8s.Models;
using Kube.Core.Helpers;
using Microsoft.Extensions.Time.Testing;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.Helpers;

[TestClass]
public sealed class ConditionsTests
{
    [TestMethod]
    public void Set_ChangesTransitionTimeOnlyWhenStatusChanges()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var list = new List<V1Condition>();
        Assert.IsTrue(Conditions.Set(list, new V1Condition { Type = "Ready", Status = "False", Reason = "Starting" }, time));
        var t0 = list[0].LastTransitionTime;
        Assert.AreEqual(time.GetUtcNow().UtcDateTime, t0);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.IsTrue(Conditions.Set(list, new V1Condition { Type = "Ready", Status = "False", Reason = "StillStarting" }, time));
        Assert.AreEqual(t0, list[0].LastTransitionTime, "same status keeps the transition time");
        Assert.IsFalse(Conditions.Set(list, new V1Condition { Type = "Ready", Status = "False", Reason = "StillStarting" }, time), "no change");

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.IsTrue(Conditions.Set(list, new V1Condition { Type = "Ready", Status = "True", Reason = "Up" }, time));
        Assert.AreEqual(time.GetUtcNow().UtcDateTime, list[0].LastTransitionTime);
        Assert.IsTrue(Conditions.IsTrue(list, "Ready"));
        Assert.AreEqual(1, list.Count);
        Assert.IsTrue(Conditions.Remove(list, "Ready"));
        Assert.IsNull(Conditions.Find(list, "Ready"));
    }

    [TestMethod]
    public void PodConditions_SetAndReady()
    {
        var time = new FakeTimeProvider();
        var pod = new V1Pod();
        Assert.IsFalse(Conditions.IsPodReady(pod));
        Assert.IsTrue(Conditions.SetPodCondition(pod, new V1PodCondition { Type = "Ready", Status = "True" }, time));
        Assert.IsTrue(Conditions.IsPodReady(pod));
        var t = Conditions.FindPodCondition(pod, "Ready")!.LastTransitionTime;
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.IsFalse(Conditions.SetPodCondition(pod, new V1PodCondition { Type = "Ready", Status = "True" }, time));
        Assert.AreEqual(t, Conditions.FindPodCondition(pod, "Ready")!.LastTransitionTime);
        Assert.IsTrue(Conditions.SetPodCondition(pod, new V1PodCondition { Type = "Ready", Status = "False" }, time));
        Assert.IsFalse(Conditions.IsPodReady(pod));
    }
}
