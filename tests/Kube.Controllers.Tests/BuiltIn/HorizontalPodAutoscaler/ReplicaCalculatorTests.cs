using k8s.Models;
using Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;

namespace Kube.Controllers.Tests.BuiltIn.HorizontalPodAutoscaler;

[TestClass]
public sealed class ReplicaCalculatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static V1Pod Pod(string name, bool ready = true, string phase = "Running") => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            Containers = [new V1Container { Name = "app", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m") } } }],
        },
        Status = new V1PodStatus
        {
            Phase = phase,
            StartTime = Now.UtcDateTime.AddMinutes(-10),
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = Now.UtcDateTime.AddMinutes(-10).AddSeconds(5) }],
        },
    };

    private static Dictionary<string, PodMetricSample> Usage(params (string Pod, decimal MilliCores)[] usage) =>
        usage.ToDictionary(u => u.Pod, u => new PodMetricSample(u.MilliCores, Now, TimeSpan.FromSeconds(15)));

    [TestMethod]
    [DataRow(100, 4)] // 100 % against 50 %: double
    [DataRow(54, 2)] // within the 0.1 tolerance: unchanged
    [DataRow(10, 1)] // 10 %: ceil(0.2 × 2)
    public void Utilization_ScalesByRatio_WithTolerance(int milliCores, int expected)
    {
        var calc = ReplicaCalculator.ForUtilization(2, 50, "cpu", [Pod("a"), Pod("b")], Usage(("a", milliCores), ("b", milliCores)), Now);
        Assert.AreEqual(expected, calc.Replicas);
        Assert.AreEqual(milliCores, calc.Utilization);
    }

    [TestMethod]
    public void MissingPod_CountsAsFullUse_WhenScalingDown()
    {
        // a at 10 %, b missing: counted at 100 % → (10 + 100) / 2 = 55 % of a 50 % target, within tolerance: unchanged.
        var calc = ReplicaCalculator.ForUtilization(2, 50, "cpu", [Pod("a"), Pod("b")], Usage(("a", 10)), Now);
        Assert.AreEqual(2, calc.Replicas);
    }

    [TestMethod]
    public void UnreadyPod_CountsAsZero_WhenScalingUp()
    {
        // a, b at 100 %, c unready (0 %): 200 / 3 = 66 % against 50 % → ceil(1.32 × 3) = 4.
        var calc = ReplicaCalculator.ForUtilization(3, 50, "cpu", [Pod("a"), Pod("b"), Pod("c", ready: false)], Usage(("a", 100), ("b", 100), ("c", 100)), Now);
        Assert.AreEqual(4, calc.Replicas);
    }

    [TestMethod]
    public void NoMetricsForReadyPods_Throws()
    {
        Assert.ThrowsExactly<InvalidOperationException>(() =>
            ReplicaCalculator.ForUtilization(1, 50, "cpu", [Pod("a", phase: "Pending")], Usage(("a", 100)), Now));
    }

    [TestMethod]
    public void AverageValue_ScalesByMeanAgainstTarget()
    {
        var calc = ReplicaCalculator.ForAverageValue(2, 100m, "cpu", [Pod("a"), Pod("b")], Usage(("a", 300), ("b", 300)), Now);
        Assert.AreEqual(6, calc.Replicas);
    }
}
