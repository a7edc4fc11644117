using Kube.Controllers.BuiltIn.Deployment;

namespace Kube.Controllers.Tests.BuiltIn;

[TestClass]
public sealed class DeploymentMathTests
{
    [TestMethod]
    [DataRow("25%", 10, true, 3)]
    [DataRow("25%", 10, false, 2)]
    [DataRow("25%", 4, true, 1)]
    [DataRow("25%", 3, false, 0)]
    [DataRow("100%", 7, false, 7)]
    [DataRow("0%", 7, true, 0)]
    [DataRow("2", 10, true, 2)]
    [DataRow("0", 10, false, 0)]
    public void Scaled_RoundsPercentages(string value, int total, bool roundUp, int expected) =>
        Assert.AreEqual(expected, DeploymentMath.Scaled(value, total, roundUp));

    [TestMethod]
    public void Scaled_RejectsGarbage() =>
        Assert.ThrowsExactly<FormatException>(() => DeploymentMath.Scaled("abc%", 10, true));

    [TestMethod]
    [DataRow(null, null, 3, 1, 0)]     // defaults 25%/25%: surge ceil(0.75)=1, unavailable floor(0.75)=0
    [DataRow(null, null, 10, 3, 2)]
    [DataRow("0", "0", 5, 0, 1)]       // both zero: unavailable becomes 1
    [DataRow("1", "0", 3, 1, 0)]
    [DataRow("50%", "50%", 5, 3, 2)]
    public void ResolveFenceposts_MatchesUpstream(string? surge, string? unavailable, int replicas, int expectedSurge, int expectedUnavailable)
    {
        var (s, u) = DeploymentMath.ResolveFenceposts(surge, unavailable, replicas);
        Assert.AreEqual(expectedSurge, s);
        Assert.AreEqual(expectedUnavailable, u);
    }

    [TestMethod]
    [DataRow(3, 1, 3, 0, 1)]   // 3 old, surge 1: new may get 1
    [DataRow(3, 1, 4, 1, 1)]   // at the cap: no more
    [DataRow(3, 1, 2, 1, 3)]   // 1 old + 1 new, cap 4: new grows to replicas
    [DataRow(3, 0, 0, 0, 3)]   // fresh deployment
    [DataRow(3, 5, 3, 0, 3)]   // never above replicas
    public void NewReplicaSetReplicas_StaysWithinSurge(int replicas, int surge, int total, int current, int expected) =>
        Assert.AreEqual(expected, DeploymentMath.NewReplicaSetReplicas(replicas, surge, total, current));

    [TestMethod]
    [DataRow(4, 3, 0, 1, 0, 0)]  // 3 old + 1 new unavailable, maxUnavailable 0: nothing may go
    [DataRow(4, 3, 0, 1, 1, 1)]  // the new one is available: one old may go
    [DataRow(3, 3, 1, 0, 0, 1)]
    public void MaxScaledDown_KeepsMinimumAvailable(int all, int replicas, int maxUnavailable, int newSpec, int newAvailable, int expected) =>
        Assert.AreEqual(expected, DeploymentMath.MaxScaledDown(all, replicas, maxUnavailable, newSpec, newAvailable));
}
