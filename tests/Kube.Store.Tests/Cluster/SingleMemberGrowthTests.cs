using Kube.Store.Cluster;
using Kube.Store.Raft.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Cluster;

/// <summary>
/// A single member that serves its peer URLs grows into a one-voter Raft member at its first membership change (as etcd's lone
/// member is one): writes in flight during the hand-over all land, the data dir is converted and reopens as a replicated member,
/// and a conversion cut short by a crash is discarded (before its commit point) or finished (after it) at the next open.
/// </summary>
[TestClass]
public sealed class SingleMemberGrowthTests
{
    private StoreTestContext _ctx = null!;

    [TestInitialize]
    public void Init() => _ctx = new StoreTestContext();

    [TestCleanup]
    public async Task Cleanup() => await _ctx.DisposeAsync();

    private StoreOptions Options() => _ctx.Options(o =>
    {
        o.MemberName = "m1";
        o.InitialCluster = "m1=http://127.0.0.1:1";
        o.AdvertiseClientUrls = "http://127.0.0.1:2";
        o.RaftTickInterval = TimeSpan.FromMilliseconds(20);
    });

    private static GrpcRaftTransport Transport() => new(TimeProvider.System, NullLogger<GrpcRaftTransport>.Instance);

    private static async Task<string?> GetAsync(EmbeddedStore store, string key)
    {
        var kvs = (await store.RangeAsync(new RangeRequest(B(key)))).Kvs;
        return kvs.Count == 0 ? null : S(kvs[0].Value);
    }

    private static async Task WriteUntilAsync(EmbeddedStore store, string prefix, Task until, List<string> acknowledged)
    {
        for (var i = 0; i < 5000 && (!until.IsCompleted || i < 20); i++)
        {
            var key = $"{prefix}{i}";
            await store.PutAsync(new PutRequest(B(key), B("v" + i)));
            acknowledged.Add(key);
        }
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task FirstMemberAdd_HandsOverToRaft_WithoutLosingAWrite_AndTheDataDirReopensReplicated()
    {
        await using var transport = Transport();
        var store = await EmbeddedStore.OpenAsync(Options(), raftFactory: null, transport: transport);
        await store.PutAsync(new PutRequest(B("/before"), B("1")));
        var revision = store.Revision;
        var cluster = (IStoreCluster)store;
        Assert.IsFalse(cluster.IsReplicated);
        Assert.IsTrue(cluster.CanChangeMembership);
        CollectionAssert.AreEqual(new[] { "http://127.0.0.1:1" }, cluster.Members.Single().PeerUrls.ToArray());

        // A learner keeps the quorum at one voter, so writes go on through the hand-over and after it.
        var acknowledged = new List<string>();
        var add = cluster.AddMemberAsync(["http://127.0.0.1:3"], learner: true, CancellationToken.None).AsTask();
        await Task.WhenAll(add, WriteUntilAsync(store, "/during/", add, acknowledged));
        var (added, members) = await add;

        Assert.IsTrue(cluster.IsReplicated);
        Assert.IsTrue(added.IsLearner);
        Assert.HasCount(2, members);
        Assert.AreEqual(store.MemberId, members.Single(m => !m.IsLearner).Id, "the member keeps its id");
        Assert.IsTrue(ReplicatedMemberBootstrap.IsReplicatedDataDir(_ctx.DataDir));
        Assert.IsFalse(Directory.Exists(Path.Combine(_ctx.DataDir, "wal")), "the single-member WAL is gone once converted");
        Assert.IsGreaterThan(revision, store.Revision);
        foreach (var key in acknowledged)
        {
            Assert.IsNotNull(await GetAsync(store, key), $"{key} was acknowledged during the hand-over but is missing");
        }
        await store.PutAsync(new PutRequest(B("/after"), B("2")));
        var clusterId = store.ClusterId;
        var memberId = store.MemberId;
        await store.DisposeAsync();

        // Reopened through the same entry point: the data dir is a replicated member's now.
        await using var transport2 = Transport();
        var reopened = await EmbeddedStore.OpenAsync(Options(), raftFactory: null, transport: transport2);
        try
        {
            Assert.IsTrue(((IStoreCluster)reopened).IsReplicated);
            Assert.AreEqual(memberId, reopened.MemberId);
            Assert.AreEqual(clusterId, reopened.ClusterId);
            Assert.HasCount(2, ((IStoreCluster)reopened).Members);
            // Linearizable reads wait for the reopened member to lead again; then every write is there.
            Assert.AreEqual("1", await GetAsync(reopened, "/before"));
            Assert.AreEqual("2", await GetAsync(reopened, "/after"));
            foreach (var key in acknowledged)
            {
                Assert.IsNotNull(await GetAsync(reopened, key), $"{key} is missing after the restart");
            }
            await reopened.PutAsync(new PutRequest(B("/again"), B("3")));
        }
        finally
        {
            await reopened.DisposeAsync();
        }

        // Without the peer transport (kube-host up's embedded store) the replicated data dir is refused with what to do.
        var refused = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => EmbeddedStore.OpenAsync(Options()));
        StringAssert.Contains(refused.Message, _ctx.DataDir);
        StringAssert.Contains(refused.Message, "peer URLs");
    }

    [TestMethod]
    [Timeout(30_000, CooperativeCancellation = true)]
    public async Task RefusedChanges_OnASingleMember_AreEtcds_AndLeaveItSingle()
    {
        await using var transport = Transport();
        var store = await EmbeddedStore.OpenAsync(Options(), raftFactory: null, transport: transport);
        try
        {
            var cluster = (IStoreCluster)store;
            var self = await Assert.ThrowsExactlyAsync<StoreException>(async () => await cluster.RemoveMemberAsync(store.MemberId, CancellationToken.None));
            Assert.AreEqual(StoreErrorCode.NotEnoughStartedMembers, self.Code);
            var unknown = await Assert.ThrowsExactlyAsync<StoreException>(async () => await cluster.RemoveMemberAsync(1234, CancellationToken.None));
            Assert.AreEqual(StoreErrorCode.MemberNotFound, unknown.Code);
            var own = await Assert.ThrowsExactlyAsync<StoreException>(async () =>
                await cluster.AddMemberAsync(["http://127.0.0.1:1"], learner: false, CancellationToken.None));
            Assert.AreEqual(StoreErrorCode.PeerUrlExists, own.Code);
            Assert.IsFalse(cluster.IsReplicated);
            Assert.IsFalse(ReplicatedMemberBootstrap.IsReplicatedDataDir(_ctx.DataDir));
        }
        finally
        {
            await store.DisposeAsync();
        }

        // A single member whose peer URLs are not served (no --initial-cluster entry) cannot change its membership.
        var plain = await _ctx.OpenAsync();
        Assert.IsFalse(((IStoreCluster)plain).CanChangeMembership);
        await Assert.ThrowsExactlyAsync<NotSupportedException>(async () =>
            await ((IStoreCluster)plain).AddMemberAsync(["http://127.0.0.1:3"], learner: false, CancellationToken.None));
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task InterruptedConversion_IsDiscardedBeforeItsCommitPoint_AndFinishedAfterIt()
    {
        // Before the commit point (no member/cluster yet): the staging dir is dropped and the single member opens as it was.
        var single = await _ctx.OpenAsync(o => o.MemberName = "m1");
        await single.PutAsync(new PutRequest(B("/k"), B("single")));
        await _ctx.CloseAsync(single);
        Directory.CreateDirectory(Path.Combine(_ctx.DataDir, "grow.tmp", "snap"));
        File.WriteAllText(Path.Combine(_ctx.DataDir, "grow.tmp", "snap", "partial.snap.tmp"), "torn");
        single = await _ctx.OpenAsync(o => o.MemberName = "m1");
        Assert.AreEqual("single", await GetAsync(single, "/k"));
        Assert.IsFalse(Directory.Exists(Path.Combine(_ctx.DataDir, "grow.tmp")));
        await _ctx.CloseAsync(single);

        // Grow it, then put the data dir back as a crash right after the commit point leaves it: new snap/ and raft/ still staged,
        // the old WAL still there.
        await using (var transport = Transport())
        {
            var store = await EmbeddedStore.OpenAsync(Options(), raftFactory: null, transport: transport);
            await ((IStoreCluster)store).AddMemberAsync(["http://127.0.0.1:3"], learner: true, CancellationToken.None);
            await store.PutAsync(new PutRequest(B("/k"), B("grown")));
            await store.DisposeAsync();
        }
        var staging = Path.Combine(_ctx.DataDir, "grow.tmp");
        Directory.CreateDirectory(staging);
        Directory.Move(Path.Combine(_ctx.DataDir, "snap"), Path.Combine(staging, "snap"));
        Directory.Move(Path.Combine(_ctx.DataDir, "raft"), Path.Combine(staging, "raft"));
        Directory.CreateDirectory(Path.Combine(_ctx.DataDir, "snap"));
        Directory.CreateDirectory(Path.Combine(_ctx.DataDir, "wal"));

        await using var transport2 = Transport();
        var reopened = await EmbeddedStore.OpenAsync(Options(), raftFactory: null, transport: transport2);
        try
        {
            Assert.IsTrue(((IStoreCluster)reopened).IsReplicated);
            Assert.AreEqual("grown", await GetAsync(reopened, "/k"));
            Assert.IsFalse(Directory.Exists(staging));
            Assert.IsFalse(Directory.Exists(Path.Combine(_ctx.DataDir, "wal")));
        }
        finally
        {
            await reopened.DisposeAsync();
        }
    }
}
