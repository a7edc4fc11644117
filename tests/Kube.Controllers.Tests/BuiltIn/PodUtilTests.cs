using k8s.Models;
using Kube.Controllers.Internal;

namespace Kube.Controllers.Tests.BuiltIn;

[TestClass]
public sealed class PodUtilTests
{
    private static V1Pod Pod(string name, string? node, string phase, bool ready, int createdMinute) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, CreationTimestamp = new DateTime(2026, 1, 1, 0, createdMinute, 0, DateTimeKind.Utc) },
        Spec = new V1PodSpec { NodeName = node },
        Status = new V1PodStatus
        {
            Phase = phase,
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) }],
        },
    };

    [TestMethod]
    public void CompareForDeletion_PrefersUnscheduledThenPendingThenNotReadyThenNewest()
    {
        var pods = new List<V1Pod>
        {
            Pod("running-ready-old", "n1", "Running", true, 1),
            Pod("running-ready-new", "n1", "Running", true, 5),
            Pod("running-notready", "n1", "Running", false, 1),
            Pod("pending-scheduled", "n1", "Pending", false, 1),
            Pod("unscheduled", null, "Pending", false, 1),
        };
        pods.Sort(PodUtil.CompareForDeletion);
        CollectionAssert.AreEqual(
            new[] { "unscheduled", "pending-scheduled", "running-notready", "running-ready-new", "running-ready-old" },
            pods.Select(p => p.Metadata.Name).ToArray());
    }

    [TestMethod]
    [DataRow(0, 0, true)]
    [DataRow(10, 5, false)]
    [DataRow(10, 10, true)]
    public void IsAvailable_HonoursMinReadySeconds(int minReady, int secondsSinceReady, bool expected)
    {
        var pod = Pod("p", "n", "Running", true, 0);
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, secondsSinceReady, TimeSpan.Zero);
        Assert.AreEqual(expected, PodUtil.IsAvailable(pod, minReady, now));
    }

    [TestMethod]
    public void IsActive_ExcludesTerminatingAndFinished()
    {
        Assert.IsTrue(PodUtil.IsActive(Pod("a", "n", "Running", true, 0)));
        Assert.IsFalse(PodUtil.IsActive(Pod("b", "n", "Succeeded", false, 0)));
        var deleting = Pod("c", "n", "Running", true, 0);
        deleting.Metadata.DeletionTimestamp = DateTime.UtcNow;
        Assert.IsFalse(PodUtil.IsActive(deleting));
    }
}
