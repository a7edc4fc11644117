using System.Text;
using Kube.Store.Raft.Core;

namespace Kube.Store.Tests.Raft;

[TestClass]
public sealed class RaftNodeTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string[] Values(RaftTestCluster c, ulong id) => [.. c.Applied[id].Select(Encoding.UTF8.GetString)];

    [TestMethod]
    public void Campaign_ThreeMembers_ElectsOneLeader_AndCommitsAnEmptyEntryOfItsTerm()
    {
        var c = new RaftTestCluster(3);
        var leader = c.Elect(1);

        Assert.AreEqual(RaftRole.Leader, leader.Role);
        Assert.AreEqual(1, c.Nodes.Values.Count(n => n.Role == RaftRole.Leader));
        // bootstrap entries 1..3, then the new leader's empty entry at 4, committed everywhere
        foreach (var n in c.Nodes.Values)
        {
            Assert.AreEqual(4UL, n.Committed, $"member {n.Id}");
            Assert.AreEqual(1UL, n.Lead, $"member {n.Id}");
            Assert.AreEqual(leader.Term, n.Term);
        }
    }

    [TestMethod]
    public void Propose_ReplicatesAndAppliesInOrder_OnEveryMember_AlsoWhenProposedAtAFollower()
    {
        var c = new RaftTestCluster(3);
        c.Elect(1);
        Assert.IsTrue(c[1].Propose(B("x")));
        Assert.IsTrue(c[3].Propose(B("y")));
        c.Stabilize();

        foreach (var id in c.Nodes.Keys)
        {
            CollectionAssert.AreEqual(new[] { "x", "y" }, Values(c, id), $"member {id}");
        }
    }

    [TestMethod]
    public void SingleMember_CommitsOnlyAfterItsOwnEntriesArePersisted()
    {
        var storage = MemoryRaftStorage.Bootstrap([1]);
        var node = new RaftNode(new RaftConfig { Id = 1, Storage = storage, Random = new Random(1) });
        var rd = node.Ready(); // applies the bootstrap membership
        node.ApplyConfChange(ConfChange.Decode(rd.CommittedEntries[0].Data));
        node.Advance();
        node.Campaign();
        Assert.AreEqual(RaftRole.Leader, node.Role);
        node.Propose(B("x"));

        rd = node.Ready();
        Assert.AreEqual(2, rd.Entries.Count, "the empty entry and x, to persist");
        Assert.AreEqual(0, rd.CommittedEntries.Count, "nothing commits before the leader's own log is persisted");
        storage.Append(rd.Entries);
        node.Advance();

        rd = node.Ready();
        Assert.AreEqual(2, rd.CommittedEntries.Count);
        CollectionAssert.AreEqual(B("x"), rd.CommittedEntries[1].Data);
        node.Advance();
    }

    [TestMethod]
    public void Propose_WithoutAKnownLeader_IsDropped()
    {
        var c = new RaftTestCluster(3);
        Assert.IsFalse(c[2].Propose(B("x")));
    }

    [TestMethod]
    public void Replication_BatchesUpToMaxSizePerMsg_AndPipelines()
    {
        var c = new RaftTestCluster(3, maxSizePerMsg: 64);
        c.Elect(1);
        var appends = new List<RaftMessage>();
        c.Drop = m =>
        {
            if (m.Type == RaftMessageType.App && m.Entries.Length > 0 && !c.Isolated.Contains(m.To))
            {
                appends.Add(m);
            }
            return false;
        };
        c.Isolated.Add(2);
        for (var i = 0; i < 20; i++)
        {
            c[1].Propose(B($"value-{i:D2}"));
        }
        c.Stabilize();
        c.Isolated.Clear();
        c.Tick(1, 1); // a heartbeat reply makes the leader send the backlog to member 2
        c.Stabilize();

        CollectionAssert.AreEqual(Values(c, 1), Values(c, 2));
        Assert.AreEqual(20, Values(c, 2).Length);
        var toTwo = appends.Where(m => m.To == 2).ToList();
        Assert.IsTrue(toTwo.All(m => (ulong)m.Entries.Sum(e => (long)e.Size) <= 64 || m.Entries.Length == 1), "an append exceeded MaxSizePerMsg");
        Assert.IsTrue(toTwo.Count > 1 && toTwo.Count < 20, $"expected batches, got {toTwo.Count} appends");
    }

    [TestMethod]
    public void CommitRule_AnEntryOfAnEarlierTerm_IsNotCommittedByCountingReplicas()
    {
        // Member 1 holds X (term 2) at index 4 that nobody else has; it wins term 3 and appends its empty entry at 5.
        var voters = new ulong[] { 1, 2, 3 };
        var c = new RaftTestCluster(0, maxSizePerMsg: 1);
        var s1 = MemoryRaftStorage.Bootstrap(voters);
        s1.Append([new RaftEntry(2, 4, RaftEntryType.Normal, B("X"))]);
        s1.SetHardState(new HardState(2, 0, 3));
        c.Add(1, s1, 1);
        foreach (var id in new ulong[] { 2, 3 })
        {
            var s = MemoryRaftStorage.Bootstrap(voters);
            s.SetHardState(new HardState(2, 0, 3));
            c.Add(id, s, 1);
        }
        // Followers receive X but never the term-3 entry: X is then on a majority, yet must not commit.
        c.Drop = m => m.Type == RaftMessageType.App && m.Entries.Any(e => e.Index == 5) && c.Storage[m.To].LastIndex >= 4;
        c.Elect(1);
        Assert.AreEqual(RaftRole.Leader, c[1].Role);
        Assert.AreEqual(3UL, c[1].Term);
        Assert.AreEqual(4UL, c[1].Progress[2].Match, "member 2 has X");
        Assert.AreEqual(3UL, c[1].Committed, "X (term 2) must not be committed by counting replicas");
        Assert.AreEqual(0, c.Applied[1].Count);

        c.Drop = _ => false;
        c.Tick(1, 1);
        Assert.AreEqual(5UL, c[1].Committed, "committing the term-3 entry commits X with it");
        CollectionAssert.AreEqual(new[] { "X" }, Values(c, 2));
    }

    [TestMethod]
    public void PreVote_AnIsolatedMember_DoesNotRaiseItsTerm_NorDisruptTheLeaderWhenItReturns()
    {
        var c = new RaftTestCluster(3);
        c.Elect(1);
        var term = c[1].Term;
        c.Isolated.Add(3);
        c.Tick(50, 3);
        Assert.AreEqual(term, c[3].Term, "pre-vote failed, so the term stays");
        c.Isolated.Clear();
        c.Tick(3);
        Assert.AreEqual(RaftRole.Leader, c[1].Role);
        Assert.AreEqual(term, c[1].Term);
        Assert.AreEqual(1UL, c[3].Lead);
    }

    [TestMethod]
    public void CheckQuorum_AnIsolatedLeader_StepsDownWithinTwoElectionTimeouts()
    {
        var c = new RaftTestCluster(3);
        c.Elect(1);
        c.Isolated.Add(1);
        c.Tick(20, 1);
        Assert.AreEqual(RaftRole.Follower, c[1].Role);
        Assert.IsFalse(c[1].Propose(B("x")), "no leader known any more");
    }

    [TestMethod]
    public void ReadIndex_AtTheLeader_WaitsForAHeartbeatQuorum()
    {
        var c = new RaftTestCluster(3);
        c.Elect(1);
        c.Isolated.UnionWith([2, 3]);
        Assert.IsTrue(c[1].ReadIndex(B("r1")));
        c.Stabilize();
        Assert.AreEqual(0, c.Reads[1].Count, "a leader cut off from its followers must not confirm a read");

        c.Isolated.Clear();
        c.Tick(1, 1);
        Assert.AreEqual(1, c.Reads[1].Count);
        Assert.AreEqual(c[1].Committed, c.Reads[1][0].Index);
        CollectionAssert.AreEqual(B("r1"), c.Reads[1][0].Context);
    }

    [TestMethod]
    public void ReadIndex_AtAFollower_IsForwardedAndAnsweredWithTheLeadersCommitIndex()
    {
        var c = new RaftTestCluster(3);
        c.Elect(1);
        c[1].Propose(B("x"));
        c.Stabilize();
        Assert.IsTrue(c[2].ReadIndex(B("r2")));
        c.Stabilize();
        Assert.AreEqual(1, c.Reads[2].Count);
        Assert.AreEqual(c[1].Committed, c.Reads[2][0].Index);
    }

    [TestMethod]
    public void TransferLeadership_HandsLeadershipToACaughtUpTarget()
    {
        var c = new RaftTestCluster(3);
        c.Elect(1);
        c[1].Propose(B("x"));
        c.Stabilize();
        c[1].TransferLeadership(3);
        c.Stabilize();
        Assert.AreEqual(RaftRole.Leader, c[3].Role);
        Assert.AreEqual(RaftRole.Follower, c[1].Role);
        Assert.AreEqual(3UL, c[2].Lead);
    }

    [TestMethod]
    public void ConfChange_AddLearner_Promote_Remove_TakeEffectWhenApplied()
    {
        var c = new RaftTestCluster(3);
        c.Elect(1);
        c[1].Propose(B("before"));
        c.Stabilize();
        c.Add(4, new MemoryRaftStorage());

        Assert.IsTrue(c[1].ProposeConfChange(new ConfChange(ConfChangeType.AddLearnerNode, 4)));
        Assert.IsFalse(c[1].ProposeConfChange(new ConfChange(ConfChangeType.AddNode, 4)), "one change at a time");
        c.Stabilize();
        CollectionAssert.AreEqual(new ulong[] { 4 }, c[1].ConfState.Learners);
        CollectionAssert.AreEqual(new[] { "before" }, Values(c, 4), "the learner caught up from the log");

        Assert.IsTrue(c[1].ProposeConfChange(new ConfChange(ConfChangeType.AddNode, 4)));
        c.Stabilize();
        CollectionAssert.AreEqual(new ulong[] { 1, 2, 3, 4 }, c[4].ConfState.Voters);

        Assert.IsTrue(c[1].ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, 2)));
        c.Stabilize();
        CollectionAssert.AreEqual(new ulong[] { 1, 3, 4 }, c[1].ConfState.Voters);
        // 1 and 4 are a quorum of {1, 3, 4} without 3; the removed member 2 no longer receives anything.
        c.Isolated.Add(3);
        c[1].Propose(B("after"));
        c.Stabilize();
        CollectionAssert.Contains(Values(c, 4), "after");
        CollectionAssert.DoesNotContain(Values(c, 2), "after");
        Assert.IsFalse(c[1].Progress.ContainsKey(2));
    }

    [TestMethod]
    public void Snapshot_AFollowerBehindTheCompactedLog_InstallsTheLeadersSnapshot()
    {
        var c = new RaftTestCluster(3);
        c.Elect(1);
        c.Isolated.Add(3);
        for (var i = 0; i < 10; i++)
        {
            c[1].Propose(B($"v{i}"));
        }
        c.Stabilize();
        var leaderStorage = c.Storage[1];
        var applied = c[1].Applied;
        leaderStorage.CreateSnapshot(applied, c[1].ConfState, B("state-at-" + applied));
        leaderStorage.Compact(applied);

        c.Isolated.Clear();
        c.Tick(2, 1);
        c[1].Propose(B("after"));
        c.Stabilize();

        Assert.AreEqual(c[1].Committed, c[3].Committed);
        CollectionAssert.AreEqual(new[] { "state-at-" + applied, "after" }, Values(c, 3));
        Assert.AreEqual(applied, c.Storage[3].FirstIndex - 1, "the follower's log starts after the snapshot");
    }
}
