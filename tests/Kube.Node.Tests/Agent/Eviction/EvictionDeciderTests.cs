using k8s.Models;
using Kube.Node.Agent.Eviction;

namespace Kube.Node.Tests.Agent.Eviction;

/// <summary>The eviction manager's pure parts: thresholds, soft grace periods, pressure transitions, ranking and the message.</summary>
[TestClass]
public sealed class EvictionDeciderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private const ulong Gi = 1024UL * 1024 * 1024;

    private static Dictionary<string, (ulong Available, ulong Capacity)> Memory(ulong available) => new() { ["memory.available"] = (available, 8 * Gi) };

    [TestMethod]
    [DataRow("100Mi", 104857600UL, null)]
    [DataRow("1Gi", 1073741824UL, null)]
    [DataRow("10%", null, 10.0)]
    [DataRow("2.5%", null, 2.5)]
    public void Parse_ReadsQuantitiesAndPercentages(string value, ulong? bytes, double? percent)
    {
        var t = EvictionThreshold.Parse("evictionHard", "memory.available", value, null);
        Assert.AreEqual(bytes, t.Quantity);
        Assert.AreEqual(percent, t.Percentage);
        Assert.IsTrue(t.IsHard);
    }

    [TestMethod]
    [DataRow("memory.free", "100Mi", "unknown eviction signal")]
    [DataRow("nodefs.available", "150%", "percentage")]
    [DataRow("nodefs.available", "lots", "not a quantity")]
    public void Parse_RefusesBadEntries_NamingThem(string signal, string value, string expected)
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => EvictionThreshold.Parse("evictionHard", signal, value, null));
        StringAssert.Contains(ex.Message, expected);
        StringAssert.Contains(ex.Message, "evictionHard");
    }

    [TestMethod]
    public void HardThreshold_ActsAtOnce_AndPressureOutlastsItByTheTransitionPeriod()
    {
        var decider = new EvictionDecider([EvictionThreshold.Parse("evictionHard", "memory.available", "1Gi", null)], TimeSpan.FromMinutes(5));
        Assert.AreEqual(0, decider.Observe(T0, Memory(2 * Gi)).Met.Count);

        var met = decider.Observe(T0.AddSeconds(10), Memory(Gi / 2));
        Assert.AreEqual("memory.available", met.Met.Single().Threshold.Signal);
        Assert.IsTrue(met.PressureConditions.Contains("MemoryPressure"));

        var recovered = decider.Observe(T0.AddSeconds(20), Memory(2 * Gi));
        Assert.AreEqual(0, recovered.Met.Count);
        Assert.IsTrue(recovered.PressureConditions.Contains("MemoryPressure"), "pressure stays for the transition period");
        Assert.IsFalse(decider.Observe(T0.AddSeconds(10).AddMinutes(5).AddSeconds(1), Memory(2 * Gi)).PressureConditions.Contains("MemoryPressure"));
    }

    [TestMethod]
    public void SoftThreshold_ActsOnlyAfterItsGracePeriod_AndRestartsTheClockWhenItClears()
    {
        var decider = new EvictionDecider([EvictionThreshold.Parse("evictionSoft", "memory.available", "1Gi", TimeSpan.FromSeconds(30))], TimeSpan.Zero);
        Assert.AreEqual(0, decider.Observe(T0, Memory(Gi / 2)).Met.Count, "just met");
        Assert.IsTrue(decider.Observe(T0, Memory(Gi / 2)).PressureConditions.Contains("MemoryPressure"), "pressure is reported while a soft threshold waits");
        Assert.AreEqual(0, decider.Observe(T0.AddSeconds(29), Memory(Gi / 2)).Met.Count);
        Assert.AreEqual(1, decider.Observe(T0.AddSeconds(30), Memory(Gi / 2)).Met.Count, "met for the whole grace period");

        Assert.AreEqual(0, decider.Observe(T0.AddSeconds(31), Memory(2 * Gi)).Met.Count);
        Assert.AreEqual(0, decider.Observe(T0.AddSeconds(32), Memory(Gi / 2)).Met.Count, "the grace period starts again");
    }

    [TestMethod]
    public void PercentageThreshold_IsAPartOfCapacity_AndDiskSignalsGiveDiskPressure()
    {
        var decider = new EvictionDecider([EvictionThreshold.Parse("evictionHard", "nodefs.available", "10%", null)], TimeSpan.Zero);
        var observations = new Dictionary<string, (ulong Available, ulong Capacity)> { ["nodefs.available"] = (9 * Gi, 100 * Gi) };
        var decision = decider.Observe(T0, observations);
        Assert.AreEqual(10 * Gi, decision.Met.Single().Threshold.Value(100 * Gi));
        Assert.IsTrue(decision.PressureConditions.SetEquals(["DiskPressure"]));
    }

    private static V1Pod Pod(string name, ulong? memoryRequest = null, int priority = 0) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = name },
        Spec = new V1PodSpec
        {
            Priority = priority,
            Containers =
            [
                new V1Container
                {
                    Name = "c",
                    Resources = memoryRequest is null ? null : new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["memory"] = new(memoryRequest.Value.ToString()) } },
                },
            ],
        },
    };

    [TestMethod]
    public void Ranking_PutsPodsAboveTheirRequestsFirst_ThenLowerPriority_ThenLargerExcess()
    {
        const ulong Mi = 1024 * 1024;
        var candidates = new[]
        {
            new EvictionCandidate(Pod("guaranteed-big", 512 * Mi), 400 * Mi, new Dictionary<string, ulong>()),
            new EvictionCandidate(Pod("besteffort-small"), 10 * Mi, new Dictionary<string, ulong>()),
            new EvictionCandidate(Pod("besteffort-big"), 50 * Mi, new Dictionary<string, ulong>()),
            new EvictionCandidate(Pod("besteffort-important", priority: 1000), 90 * Mi, new Dictionary<string, ulong>()),
            new EvictionCandidate(Pod("burstable-over", 20 * Mi), 60 * Mi, new Dictionary<string, ulong>()),
        };
        var order = EvictionRanking.Rank(candidates, "memory").Select(c => c.Pod.Metadata.Name).ToList();
        CollectionAssert.AreEqual(new[] { "besteffort-big", "burstable-over", "besteffort-small", "besteffort-important", "guaranteed-big" }, order);
    }

    [TestMethod]
    public void Message_HasUpstreamsShape()
    {
        var threshold = EvictionThreshold.Parse("evictionHard", "memory.available", "100Mi", null);
        var victim = new EvictionCandidate(Pod("hog"), 8 * 1024 * 1024, new Dictionary<string, ulong> { ["c"] = 8 * 1024 * 1024 });
        Assert.AreEqual(
            "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container c was using 8Mi, request is 0, has larger consumption of memory. ",
            EvictionManager.Message(threshold, 50 * 1024 * 1024, 8UL << 30, victim, "memory"));
    }
}
