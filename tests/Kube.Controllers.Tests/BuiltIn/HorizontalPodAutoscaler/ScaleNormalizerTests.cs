using Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;

namespace Kube.Controllers.Tests.BuiltIn.HorizontalPodAutoscaler;

[TestClass]
public sealed class ScaleNormalizerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [TestMethod]
    [DataRow(2, 100, 100, 6, "ScaleUpLimit")] // default: max(2 + 4 pods, 2 × 200 %) = 6
    [DataRow(10, 100, 100, 20, "ScaleUpLimit")] // 100 % beats 4 pods
    [DataRow(2, 8, 5, 5, "TooManyReplicas")] // maxReplicas below the rate limit
    [DataRow(2, 3, 100, 3, "DesiredWithinRange")]
    public void ScaleUp_IsLimitedByDefaultPolicies_AndMax(int current, int desired, int max, int expected, string reason)
    {
        var history = new ScaleHistory();
        var (replicas, why, _) = ScaleNormalizer.Limit(history, current, desired, 1, max,
            ScaleNormalizer.ScaleUp(null), ScaleNormalizer.ScaleDown(null), T0);
        Assert.AreEqual(expected, replicas);
        Assert.AreEqual(reason, why);
    }

    [TestMethod]
    public void ScaleUp_CountsEarlierScaleUpsInThePeriod()
    {
        var history = new ScaleHistory();
        ScaleNormalizer.RecordScale(history, 2, 6, ScaleNormalizer.ScaleUp(null), ScaleNormalizer.ScaleDown(null), T0);
        // 6 now, 2 at the period's start: max(2 + 4, 2 × 2) = 6, so no more within 15 s.
        var (within, _, _) = ScaleNormalizer.Limit(history, 6, 20, 1, 100, ScaleNormalizer.ScaleUp(null), ScaleNormalizer.ScaleDown(null), T0.AddSeconds(5));
        Assert.AreEqual(6, within);
        var (after, _, _) = ScaleNormalizer.Limit(history, 6, 20, 1, 100, ScaleNormalizer.ScaleUp(null), ScaleNormalizer.ScaleDown(null), T0.AddSeconds(16));
        Assert.AreEqual(12, after);
    }

    [TestMethod]
    public void ScaleDown_WaitsForTheStabilizationWindow()
    {
        var history = new ScaleHistory();
        var up = ScaleNormalizer.ScaleUp(null);
        var down = ScaleNormalizer.ScaleDown(null);
        Assert.AreEqual((4, "ScaleDownStabilized"), Pick(ScaleNormalizer.Stabilize(history, 4, 1, up, down, T0)));
        Assert.AreEqual((4, "ScaleDownStabilized"), Pick(ScaleNormalizer.Stabilize(history, 4, 1, up, down, T0.AddSeconds(299))));
        Assert.AreEqual((1, "ReadyForNewScale"), Pick(ScaleNormalizer.Stabilize(history, 4, 1, up, down, T0.AddSeconds(301))));
    }

    [TestMethod]
    public void ScaleDown_BelowMin_IsTooFewReplicas()
    {
        var (replicas, reason, _) = ScaleNormalizer.Limit(new ScaleHistory(), 4, 1, 2, 10, ScaleNormalizer.ScaleUp(null), ScaleNormalizer.ScaleDown(null), T0);
        Assert.AreEqual((2, "TooFewReplicas"), (replicas, reason));
    }

    private static (int, string) Pick((int Replicas, string Reason, string Message) r) => (r.Replicas, r.Reason);
}
