using System.Text;
using Kube.Store.Raft;
using Kube.Store.Raft.Core;

namespace Kube.Store.Tests.Raft;

/// <summary>
/// Three <see cref="EmbeddedStore"/> members in one process, each on its own temp data dir, replicated through
/// <see cref="MultiRaftNode"/> over an <see cref="InMemoryRaftTransport"/> on the real clock (50 ms ticks).
/// </summary>
[TestClass]
public sealed class MultiRaftClusterTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task ThreeMembers_ElectALeader_AndApplyWritesOnAllMembers()
    {
        await using var cluster = await Cluster.StartAsync(snapshotCount: 0);
        var leader = await cluster.WaitForLeaderAsync(TestContext.CancellationToken);

        for (var i = 0; i < 20; i++)
        {
            await cluster.Stores[leader].PutAsync(new PutRequest(B($"k{i}"), B($"v{i}")), TestContext.CancellationToken);
        }
        foreach (var name in cluster.Names)
        {
            await cluster.WaitForValueAsync(name, "k19", "v19", TestContext.CancellationToken);
        }
        Assert.AreEqual(cluster.Stores[leader].Revision, cluster.Stores[cluster.Names.First(n => n != leader)].Revision);
    }

    [TestMethod]
    public async Task Follower_Write_IsForwardedToTheLeader_AndLinearizableReadSeesIt()
    {
        await using var cluster = await Cluster.StartAsync(snapshotCount: 0);
        var leader = await cluster.WaitForLeaderAsync(TestContext.CancellationToken);
        var follower = cluster.Names.First(n => n != leader);

        var put = await cluster.Stores[follower].PutAsync(new PutRequest(B("from-follower"), B("x")), TestContext.CancellationToken);
        Assert.IsGreaterThan(1L, put.Header.Revision);

        var other = cluster.Names.First(n => n != leader && n != follower);
        var readIndex = await cluster.Nodes[other].ReadIndexAsync(TestContext.CancellationToken);
        Assert.IsGreaterThanOrEqualTo(readIndex, cluster.Nodes[other].AppliedIndex);
        var got = await cluster.Stores[other].RangeAsync(new RangeRequest(B("from-follower")), TestContext.CancellationToken);
        Assert.AreEqual("x", S(got.Kvs.Single().Value));
    }

    [TestMethod]
    public async Task KillingTheLeader_ElectsANewLeader_WritesContinue_AndTheRestartedMemberCatchesUpByLog()
    {
        await using var cluster = await Cluster.StartAsync(snapshotCount: 0);
        var leader = await cluster.WaitForLeaderAsync(TestContext.CancellationToken);
        for (var i = 0; i < 10; i++)
        {
            await cluster.Stores[leader].PutAsync(new PutRequest(B($"a{i}"), B("1")), TestContext.CancellationToken);
        }

        await cluster.KillAsync(leader);
        var started = TimeProvider.System.GetTimestamp();
        var next = await cluster.WaitForLeaderAsync(TestContext.CancellationToken);
        Assert.AreNotEqual(leader, next);
        await cluster.Stores[next].PutAsync(new PutRequest(B("after"), B("2")), TestContext.CancellationToken);
        TestContext.WriteLine($"new leader {next} accepted a write {TimeProvider.System.GetElapsedTime(started).TotalMilliseconds:F0} ms after the kill");
        Assert.IsLessThan(TimeSpan.FromSeconds(5), TimeProvider.System.GetElapsedTime(started));

        await cluster.RestartAsync(leader);
        await cluster.WaitForValueAsync(leader, "after", "2", TestContext.CancellationToken);
        await cluster.WaitForValueAsync(leader, "a9", "1", TestContext.CancellationToken);
        Assert.AreEqual(0, cluster.Nodes[leader].SnapshotsInstalled);
    }

    [TestMethod]
    public async Task RestartedMember_FarBehindTheCompactedLog_CatchesUpBySnapshot()
    {
        await using var cluster = await Cluster.StartAsync(snapshotCount: 20, catchUpEntries: 5);
        var leader = await cluster.WaitForLeaderAsync(TestContext.CancellationToken);
        var lagging = cluster.Names.First(n => n != leader);
        await cluster.Stores[leader].PutAsync(new PutRequest(B("first"), B("1")), TestContext.CancellationToken);
        await cluster.WaitForValueAsync(lagging, "first", "1", TestContext.CancellationToken);

        await cluster.KillAsync(lagging);
        var appliedBefore = cluster.LastApplied[lagging];
        for (var i = 0; i < 80; i++)
        {
            await cluster.Stores[leader].PutAsync(new PutRequest(B($"b{i}"), B($"{i}")), TestContext.CancellationToken);
        }
        Assert.IsGreaterThan(appliedBefore + 1, cluster.Nodes[leader].FirstLogIndex, "the leader compacted past the lagging member");

        await cluster.RestartAsync(lagging);
        await cluster.WaitForValueAsync(lagging, "b79", "79", TestContext.CancellationToken);
        Assert.IsGreaterThanOrEqualTo(1, cluster.Nodes[lagging].SnapshotsInstalled);
        var first = await cluster.Stores[lagging].RangeAsync(new RangeRequest(B("first")), TestContext.CancellationToken);
        Assert.AreEqual("1", S(first.Kvs.Single().Value));

        // Writes still replicate to it after the install, and it recovers from its own snapshot + log.
        await cluster.Stores[leader].PutAsync(new PutRequest(B("later"), B("3")), TestContext.CancellationToken);
        await cluster.WaitForValueAsync(lagging, "later", "3", TestContext.CancellationToken);
        await cluster.KillAsync(lagging);
        await cluster.RestartAsync(lagging);
        await cluster.WaitForValueAsync(lagging, "later", "3", TestContext.CancellationToken);
        await cluster.WaitForValueAsync(lagging, "b40", "40", TestContext.CancellationToken);
    }

    [TestMethod]
    public async Task Proposal_WithoutAQuorum_FailsWithNoLeaderLeaderChangedOrTimeout_InsteadOfHanging()
    {
        await using var cluster = await Cluster.StartAsync(snapshotCount: 0, noLeaderTicks: 10, proposalTimeoutTicks: 20);
        var leader = await cluster.WaitForLeaderAsync(TestContext.CancellationToken);
        var follower = cluster.Names.First(n => n != leader);
        foreach (var n in cluster.Names.Where(n => n != follower).ToArray())
        {
            await cluster.KillAsync(n);
        }
        var error = await Assert.ThrowsAsync<StoreException>(async () =>
            await cluster.Stores[follower].PutAsync(new PutRequest(B("lost"), B("x")), TestContext.CancellationToken));
        // LeaderChanged: the follower forwarded the proposal, then lost its leader (check-quorum) and failed it at once.
        Assert.IsTrue(error.Code is StoreErrorCode.NoLeader or StoreErrorCode.LeaderChanged or StoreErrorCode.Timeout, error.Code.ToString());
    }

    [TestMethod]
    public async Task EveryMember_RestartsFromASnapshotNewerThanItsWal_AfterSnapshotsWrittenOffTheLoop()
    {
        // Snapshots every 10 entries are written off the Raft loop and leave the WAL un-rewritten (it is rewritten only past 64 MiB),
        // so each restart recovers from a snapshot file newer than the WAL's own snapshot mark.
        await using var cluster = await Cluster.StartAsync(snapshotCount: 10, catchUpEntries: 3);
        var leader = await cluster.WaitForLeaderAsync(TestContext.CancellationToken);
        for (var i = 0; i < 60; i++)
        {
            await cluster.Stores[leader].PutAsync(new PutRequest(B($"s{i}"), B($"{i}")), TestContext.CancellationToken);
        }
        foreach (var n in cluster.Names)
        {
            await cluster.WaitForValueAsync(n, "s59", "59", TestContext.CancellationToken);
            // A snapshot written off the loop is adopted (and the log compacted) by a later pass of the loop: await it.
            await StoreTestContext.WaitUntilAsync(() => Task.FromResult(cluster.Nodes[n].FirstLogIndex > 30), what: $"{n} to compact its log behind a snapshot");
        }
        foreach (var n in cluster.Names)
        {
            await cluster.KillAsync(n);
        }
        foreach (var n in cluster.Names)
        {
            await cluster.RestartAsync(n);
        }
        leader = await cluster.WaitForLeaderAsync(TestContext.CancellationToken);
        await cluster.Stores[leader].PutAsync(new PutRequest(B("after-restart"), B("ok")), TestContext.CancellationToken);
        foreach (var n in cluster.Names)
        {
            await cluster.WaitForValueAsync(n, "after-restart", "ok", TestContext.CancellationToken);
            await cluster.WaitForValueAsync(n, "s0", "0", TestContext.CancellationToken);
            await cluster.WaitForValueAsync(n, "s59", "59", TestContext.CancellationToken);
        }
    }

    [TestMethod]
    public async Task FiveMembers_TwoDownStillCommit_ThreeDownStopWrites_AndTheyRejoin()
    {
        await using var cluster = await Cluster.StartAsync(snapshotCount: 0, noLeaderTicks: 20, proposalTimeoutTicks: 40, members: 5);
        var leader = await cluster.WaitForLeaderAsync(TestContext.CancellationToken);
        await cluster.Stores[leader].PutAsync(new PutRequest(B("five"), B("1")), TestContext.CancellationToken);

        // Two down, the leader among them: the other three elect a leader and commit.
        var down = new List<string> { leader, cluster.Names.First(n => n != leader) };
        foreach (var n in down)
        {
            await cluster.KillAsync(n);
        }
        var started = TimeProvider.System.GetTimestamp();
        var second = await cluster.WaitForLeaderAsync(TestContext.CancellationToken);
        Assert.DoesNotContain(second, down);
        for (var i = 0; i < 10; i++)
        {
            await cluster.Stores[cluster.Stores.Keys.ElementAt(i % 3)].PutAsync(new PutRequest(B($"two-down/{i}"), B($"{i}")), TestContext.CancellationToken);
        }
        TestContext.WriteLine($"2 of 5 down: leader {second} elected and 10 writes committed {TimeProvider.System.GetElapsedTime(started).TotalMilliseconds:F0} ms after the kills");

        // Three down: no quorum, so a write fails with one of etcd's errors (bounded, never a hang) and is not applied.
        down.Add(second);
        await cluster.KillAsync(second);
        var survivor = cluster.Stores.Keys.First();
        var failedAt = TimeProvider.System.GetTimestamp();
        var error = await Assert.ThrowsAsync<StoreException>(async () =>
            await cluster.Stores[survivor].PutAsync(new PutRequest(B("no-quorum"), B("x")), TestContext.CancellationToken));
        Assert.IsTrue(error.Code is StoreErrorCode.Timeout or StoreErrorCode.NoLeader or StoreErrorCode.LeaderChanged, error.Code.ToString());
        Assert.AreEqual(StoreException.MessageFor(error.Code), error.Message);
        StringAssert.StartsWith(error.Message, "etcdserver: ");
        TestContext.WriteLine($"3 of 5 down: the write failed after {TimeProvider.System.GetElapsedTime(failedAt).TotalMilliseconds:F0} ms with '{error.Message}'");

        // They rejoin: a leader again, writes commit, and every restarted member catches up.
        foreach (var n in down)
        {
            await cluster.RestartAsync(n);
        }
        var third = await cluster.WaitForLeaderAsync(TestContext.CancellationToken);
        await cluster.Stores[third].PutAsync(new PutRequest(B("rejoined"), B("yes")), TestContext.CancellationToken);
        foreach (var n in cluster.Names)
        {
            await cluster.WaitForValueAsync(n, "rejoined", "yes", TestContext.CancellationToken);
            await cluster.WaitForValueAsync(n, "two-down/9", "9", TestContext.CancellationToken);
            await cluster.WaitForValueAsync(n, "five", "1", TestContext.CancellationToken);
        }
        var lost = await cluster.Stores[third].RangeAsync(new RangeRequest(B("no-quorum")) { Serializable = true }, TestContext.CancellationToken);
        Assert.IsEmpty(lost.Kvs, "the write refused without a quorum was applied after all");
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string S(byte[] b) => Encoding.UTF8.GetString(b);

    private sealed class Cluster : IAsyncDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "kube-raft-" + Guid.NewGuid().ToString("N"));
        private readonly InMemoryRaftTransport _transport = new();
        private readonly Func<ulong, MultiRaftOptions> _options;
        private readonly Dictionary<string, ulong> _ids;

        private Cluster(long snapshotCount, long catchUpEntries, int noLeaderTicks, int proposalTimeoutTicks, int members)
        {
            Names = [.. Enumerable.Range(1, members).Select(i => $"m{i}")];
            _ids = Names.ToDictionary(n => n, n => EmbeddedStore.StableId("member:" + n));
            var voters = _ids.Values.ToArray();
            _options = id => new MultiRaftOptions
            {
                MemberId = id,
                InitialMembers = voters,
                DataDir = Path.Combine(_root, _ids.Single(p => p.Value == id).Key),
                TickInterval = TimeSpan.FromMilliseconds(50),
                SnapshotCount = snapshotCount,
                CatchUpEntries = catchUpEntries,
                NoLeaderTicks = noLeaderTicks,
                ProposalTimeoutTicks = proposalTimeoutTicks,
            };
        }

        public string[] Names { get; }

        public Dictionary<string, EmbeddedStore> Stores { get; } = [];

        public Dictionary<string, MultiRaftNode> Nodes { get; } = [];

        public Dictionary<string, ulong> LastApplied { get; } = [];

        public static async Task<Cluster> StartAsync(long snapshotCount, long catchUpEntries = 5_000, int noLeaderTicks = 60, int proposalTimeoutTicks = 100,
            int members = 3)
        {
            var c = new Cluster(snapshotCount, catchUpEntries, noLeaderTicks, proposalTimeoutTicks, members);
            foreach (var n in c.Names)
            {
                await c.RestartAsync(n);
            }
            return c;
        }

        public async Task RestartAsync(string name)
        {
            var options = new StoreOptions { DataDir = Path.Combine(_root, name, "store"), MemberName = name };
            Stores[name] = await EmbeddedStore.OpenAsync(options, (id, stateMachine) =>
            {
                var node = MultiRaftNode.Open(_options(id), stateMachine, _transport, TimeProvider.System,
                    Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
                Nodes[name] = node;
                return node;
            });
        }

        /// <summary>Stops a member abruptly: its loop ends and it stops receiving; only what was fsynced survives.</summary>
        public async Task KillAsync(string name)
        {
            LastApplied[name] = Nodes[name].AppliedIndex;
            await Stores[name].DisposeAsync();
            Stores.Remove(name);
        }

        public async Task<string> WaitForLeaderAsync(CancellationToken cancellationToken)
        {
            var deadline = TimeProvider.System.GetTimestamp();
            while (true)
            {
                var live = Stores.Keys.ToArray();
                var leaders = live.Where(n => Nodes[n].Role == RaftRole.Leader).ToArray();
                if (leaders.Length == 1 && live.All(n => Nodes[n].LeaderId == _ids[leaders[0]]))
                {
                    return leaders[0];
                }
                if (TimeProvider.System.GetElapsedTime(deadline) > Deadline)
                {
                    Assert.Fail($"No single leader within {Deadline}: " + string.Join(", ", live.Select(n => $"{n}={Nodes[n].Role}/lead {Nodes[n].LeaderId:x}/t{Nodes[n].Term}")));
                }
                await Task.Delay(10, cancellationToken);
            }
        }

        public async Task WaitForValueAsync(string name, string key, string value, CancellationToken cancellationToken)
        {
            var start = TimeProvider.System.GetTimestamp();
            while (true)
            {
                var r = await Stores[name].RangeAsync(new RangeRequest(B(key)), cancellationToken);
                if (r.Kvs.Count == 1 && S(r.Kvs[0].Value) == value)
                {
                    return;
                }
                if (TimeProvider.System.GetElapsedTime(start) > Deadline)
                {
                    Assert.Fail($"{name} did not see {key}={value} within {Deadline} (applied {Nodes[name].AppliedIndex}, commit {Nodes[name].CommitIndex})");
                }
                await Task.Delay(10, cancellationToken);
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var s in Stores.Values)
            {
                await s.DisposeAsync();
            }
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
