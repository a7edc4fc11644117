// Deterministic simulation of the Raft core (Kube.Store.Raft.Core.RaftNode) driving a small MVCC-like KV state machine.
//
// Replay one history (prints the event trace and the history):
//   KUBE_SIM_SEED=N KUBE_SIM_MIX=X dotnet test tests/Kube.Store.Tests --filter FullyQualifiedName~Simulation
// KUBE_SIM_SEEDS=N runs N seeds per mix instead of 1,250 (soak runs).
//
// What each history does: 3 or 5 founding members (+1 joining member in the membership mixes), 3 clients doing 8
// get/put/delete/compare-and-set operations each on 2 keys with 500 ms timeouts (a timed-out write has an unknown
// outcome), faults for 5 s of virtual time, then healing and a write that must complete (liveness) and convergence of
// every member's applied index. Checks: linearizability (Wing & Gong with memoization, per key), one leader per term,
// the same entry/revision applied at each index by every member with no gap or repeat, identical gap-free watch streams.
//
// Bugs the simulator found while the core was built (honest list):
//  1. Membership (a real Raft-core bug, design level): the founders' membership lived only in their initial ConfState,
//     not in the log, so a member added later learned from the log only about itself. Once promoted it counted itself a
//     quorum of one: two leaders in one term (membership-3 seed 35) and different entries applied at one index
//     (chaos-5 seed 7). Fixed by bootstrapping founders with committed AddNode entries (MemoryRaftStorage.Bootstrap),
//     as etcd does.
//  2. Harness only: the liveness client never cleared its finished operation, so runs went to the deadline and were
//     reported as "members did not converge". Not a Raft bug.
//  3. Harness only: convergence was checked a fixed 1 s after the final write, shorter than a second election after
//     healing (partition-5 seed 1084 at 1,250 seeds). Now the run waits for convergence up to the deadline.
// Nothing else was found in the Raft core by the simulator. To see what it can find, bugs were injected on purpose
// (then reverted), with 300-850 seeds per mix:
//  - granting votes without the log up-to-date check: found in 8 of 12 mixes (different entries applied at an index);
//  - a leader answering ReadIndex without its heartbeat round: found, but rarely (1 history in ~10,000; a stale read at
//    an isolated leader that still believes it leads) - clock drift between members and leader isolation were added
//    for it, and it is still the weakest spot;
//  - committing an earlier-term entry by counting replicas (the "figure 8" rule): NOT found by the simulator; the unit
//    test RaftNodeTests.CommitRule_AnEntryOfAnEarlierTerm_IsNotCommittedByCountingReplicas catches it;
//  - a leader counting its own not-yet-persisted entries toward the commit index: not found, and harmless with this
//    shell loop, because the Ready that carries a new commit index only comes after Advance (after the leader's fsync).
//    The core counts the leader only after Advance anyway, so a shell that pipelines its writes stays safe.
//
using System.Diagnostics;

namespace Kube.Store.Tests.Simulation;

[TestClass]
public sealed class RaftSimulationTests
{
    /// <summary>Seeds per fault mix in CI: 12 mixes × 1,250 = 15,000 histories (about 25 s on 2 idle cores).</summary>
    private const int SeedsPerMix = 1250;

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
