using k8s.Models;
using Kube.Controllers.BuiltIn.Deployment;

namespace Kube.Controllers.Tests.BuiltIn;

[TestClass]
public sealed class ProportionalScalingTests
{
    private static V1ReplicaSet Rs(string uid, int replicas, int maxReplicas, int createdMinute) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Uid = uid,
            CreationTimestamp = new DateTime(2026, 1, 1, 0, createdMinute, 0, DateTimeKind.Utc),
            Annotations = new Dictionary<string, string> { [DeploymentReconciler.MaxReplicasAnnotation] = maxReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        },
        Spec = new V1ReplicaSetSpec { Replicas = replicas },
    };

    [TestMethod]
    // old size, old max, new size, new max, allowed -> old, new
    [DataRow(4, 5, 1, 5, 9, 7, 2)]   // 4 -> 8 replicas (surge 1) mid-rollout
    [DataRow(7, 9, 2, 9, 5, 4, 1)]   // and back down
    [DataRow(3, 4, 1, 4, 4, 3, 1)]   // no change in size: sizes stay
    [DataRow(5, 6, 1, 6, 1, 1, 0)]   // down to 1 allowed: the remainder goes to the largest
    public void ProportionalSizes_FollowUpstream(int oldSize, int oldMax, int newSize, int newMax, int allowed, int expectedOld, int expectedNew)
    {
        var sizes = DeploymentReconciler.ProportionalSizes([Rs("old", oldSize, oldMax, 1), Rs("new", newSize, newMax, 2)], allowed);
        Assert.AreEqual(expectedOld, sizes["old"]);
        Assert.AreEqual(expectedNew, sizes["new"]);
        Assert.AreEqual(allowed, sizes.Values.Sum());
    }
}
