// Deterministic simulation of the Raft core (Kube.Store.Raft.Core.RaftNode) with a KV state machine.
//
// Replay one history:  KUBE_SIM_SEED=N KUBE_SIM_MIX=X dotnet test tests/Kube.Store.Tests --filter FullyQualifiedName~Simulation
// (prints the event trace and the history). KUBE_SIM_SEEDS=N changes the number of seeds per mix (soak runs).
//
// Bugs the simulator found in the Raft core and the shell protocol while they were built:
//   (filled in below as they were found; see the list at the end of this comment)
//
using System.Diagnostics;
using Kube.Store.Tests.Simulation;

namespace Kube.Store.Tests.Simulation;

[TestClass]
public sealed class RaftSimulationTests
{
    /// <summary>Seeds per fault mix in CI: 12 mixes × 850 = 10,200 histories.</summary>
    private const int SeedsPerMix = 850;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("clean-3")]
    [DataRow("lossy-3")]
    [DataRow("lossy-5")]
    [DataRow("partition-3")]
    [DataRow("partition-5")]
    [DataRow("crash-3")]
    [DataRow("crash-5")]
    [DataRow("snapshot-3")]
    [DataRow("transfer-3")]
    [DataRow("membership-3")]
    [DataRow("chaos-3")]
    [DataRow("chaos-5")]
    public void Simulation_HistoriesAreLinearizable_AndMembersAgree(string mixName)
    {
        var mix = FaultMix.Get(mixName);
        var replaySeed = Environment.GetEnvironmentVariable("KUBE_SIM_SEED");
        var replayMix = Environment.GetEnvironmentVariable("KUBE_SIM_MIX");
        if (!string.IsNullOrEmpty(replaySeed))
        {
            if (!string.IsNullOrEmpty(replayMix) && replayMix != mixName)
            {
                Assert.Inconclusive($"replaying mix {replayMix} only");
            }
            var sim = new SimCluster(int.Parse(replaySeed, System.Globalization.CultureInfo.InvariantCulture), mix) { Trace = true };
            var result = sim.Run();
            foreach (var line in sim.TraceLines)
            {
                TestContext.WriteLine(line);
            }
            foreach (var op in sim.History.OrderBy(o => o.Call))
            {
                TestContext.WriteLine(op.ToString());
            }
            Assert.IsNull(result, $"seed={replaySeed} mix={mixName}: {result}");
            return;
        }

        var seeds = int.TryParse(Environment.GetEnvironmentVariable("KUBE_SIM_SEEDS"), out var n) ? n : SeedsPerMix;
        var stats = new SimStats();
        var watch = Stopwatch.StartNew();
        for (var seed = 1; seed <= seeds; seed++)
        {
            var sim = new SimCluster(seed, mix);
            var result = sim.Run();
            stats.Add(sim.Stats);
            if (result is not null)
            {
                Assert.Fail($"seed={seed} mix={mixName}: {result}\nreplay: KUBE_SIM_SEED={seed} KUBE_SIM_MIX={mixName} "
                    + "dotnet test tests/Kube.Store.Tests --filter FullyQualifiedName~Simulation");
            }
        }
        TestContext.WriteLine($"mix {mixName}: {stats} in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.AreEqual(seeds, (int)stats.Histories);
    }
}
