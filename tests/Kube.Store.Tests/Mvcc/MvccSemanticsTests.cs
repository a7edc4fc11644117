using Kube.Store;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Mvcc;

[TestClass]
public sealed class MvccSemanticsTests
{
    private StoreTestContext _ctx = null!;
    private EmbeddedStore _store = null!;

    [TestInitialize]
    public async Task Init()
    {
        _ctx = new StoreTestContext();
        _store = await _ctx.OpenAsync();
    }

    [TestCleanup]
    public async Task Cleanup() => await _ctx.DisposeAsync();

    private async Task<long> Put(string key, string value, long lease = 0) =>
        (await _store.PutAsync(new PutRequest(B(key), B(value)) { Lease = lease })).Header.Revision;

    [TestMethod]
    public async Task EmptyStore_StartsAtRevisionOne_AndEachPutBumpsIt()
    {
        var status = await _store.StatusAsync();
        Assert.AreEqual(1, status.Header.Revision);
        Assert.AreEqual(2, await Put("/a", "1"));
        Assert.AreEqual(3, await Put("/b", "2"));
        Assert.AreEqual(3, (await _store.RangeAsync(new RangeRequest(B("/a")))).Header.Revision);
    }

    [TestMethod]
    public async Task Put_TracksCreateModVersion_AndDeleteStartsANewGeneration()
    {
        await Put("/k", "v1"); // rev 2
        await Put("/k", "v2"); // rev 3
        var kv = (await _store.RangeAsync(new RangeRequest(B("/k")))).Kvs.Single();
        Assert.AreEqual(2, kv.CreateRevision);
        Assert.AreEqual(3, kv.ModRevision);
        Assert.AreEqual(2, kv.Version);
        Assert.AreEqual("v2", S(kv.Value));

        var del = await _store.DeleteRangeAsync(new DeleteRangeRequest(B("/k")) { PrevKv = true });
        Assert.AreEqual(1, del.Deleted);
        Assert.AreEqual("v2", S(del.PrevKvs.Single().Value));
        Assert.AreEqual(4, del.Header.Revision);

        await Put("/k", "v3"); // rev 5: a new generation
        kv = (await _store.RangeAsync(new RangeRequest(B("/k")))).Kvs.Single();
        Assert.AreEqual(5, kv.CreateRevision);
        Assert.AreEqual(1, kv.Version);
    }

    [TestMethod]
    public async Task Put_WithPrevKv_ReturnsThePreviousValue_OnlyWhenAsked()
    {
        await Put("/k", "old");
        var with = await _store.PutAsync(new PutRequest(B("/k"), B("new")) { PrevKv = true });
        Assert.AreEqual("old", S(with.PrevKv!.Value));
        var without = await _store.PutAsync(new PutRequest(B("/k"), B("newer")));
        Assert.IsNull(without.PrevKv);
    }

    [TestMethod]
    public async Task Put_IgnoreValue_KeepsTheValue_AndFailsOnAMissingKey()
    {
        await Put("/k", "keep");
        await _store.PutAsync(new PutRequest(B("/k"), []) { IgnoreValue = true });
        var kv = (await _store.RangeAsync(new RangeRequest(B("/k")))).Kvs.Single();
        Assert.AreEqual("keep", S(kv.Value));
        Assert.AreEqual(2, kv.Version);
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.PutAsync(new PutRequest(B("/missing"), []) { IgnoreValue = true }));
        Assert.AreEqual(StoreErrorCode.KeyNotFound, ex.Code);
    }

    [TestMethod]
    public async Task DeleteRange_OfNothing_DoesNotBumpTheRevision()
    {
        var rev = await Put("/k", "v");
        var del = await _store.DeleteRangeAsync(new DeleteRangeRequest(B("/nothing")));
        Assert.AreEqual(0, del.Deleted);
        Assert.AreEqual(rev, del.Header.Revision);
    }

    [TestMethod]
    [DataRow("/a/", "/a0", 3, DisplayName = "prefix range end")]
    [DataRow("/a/", "\0", 4, DisplayName = "open range end \\0")]
    [DataRow("/a/2", null, 1, DisplayName = "single key")]
    [DataRow("/a/1", "/a/3", 2, DisplayName = "half-open [1,3)")]
    [DataRow("/z", "/a", 0, DisplayName = "end before start")]
    public async Task Range_SelectsKeysByRange(string key, string? end, int expected)
    {
        foreach (var k in new[] { "/a/1", "/a/2", "/a/3", "/b" })
        {
            await Put(k, "v");
        }
        var r = await _store.RangeAsync(new RangeRequest(B(key)) { RangeEnd = end is null ? null : B(end) });
        Assert.AreEqual(expected, r.Kvs.Count);
        Assert.AreEqual(expected, r.Count);
        CollectionAssert.AreEqual(r.Kvs.Select(x => S(x.Key)).Order(StringComparer.Ordinal).ToList(), r.Kvs.Select(x => S(x.Key)).ToList());
    }

    [TestMethod]
    public async Task Range_WithLimit_ReportsMoreAndTheFullCount()
    {
        for (var i = 0; i < 5; i++)
        {
            await Put($"/p/{i}", "v");
        }
        var r = await _store.RangeAsync(new RangeRequest(B("/p/")) { RangeEnd = B("/p0"), Limit = 2 });
        Assert.AreEqual(2, r.Kvs.Count);
        Assert.IsTrue(r.More);
        Assert.AreEqual(5, r.Count);
        Assert.AreEqual("/p/0", S(r.Kvs[0].Key));

        var all = await _store.RangeAsync(new RangeRequest(B("/p/")) { RangeEnd = B("/p0"), Limit = 5 });
        Assert.IsFalse(all.More);
    }

    [TestMethod]
    public async Task Range_KeysOnly_AndCountOnly()
    {
        await Put("/p/1", "value");
        await Put("/p/2", "value");
        var keys = await _store.RangeAsync(new RangeRequest(B("/p/")) { RangeEnd = B("/p0"), KeysOnly = true });
        Assert.AreEqual(2, keys.Kvs.Count);
        Assert.IsTrue(keys.Kvs.All(kv => kv.Value.Length == 0));
        var count = await _store.RangeAsync(new RangeRequest(B("/p/")) { RangeEnd = B("/p0"), CountOnly = true });
        Assert.AreEqual(0, count.Kvs.Count);
        Assert.AreEqual(2, count.Count);
    }

    [TestMethod]
    [DataRow(SortOrder.Descend, SortTarget.Key, "c,b,a")]
    [DataRow(SortOrder.Ascend, SortTarget.Value, "b,c,a")]
    [DataRow(SortOrder.Descend, SortTarget.Mod, "b,c,a")]
    [DataRow(SortOrder.Ascend, SortTarget.Create, "a,c,b")]
    [DataRow(SortOrder.None, SortTarget.Version, "c,b,a")]
    [DataRow(SortOrder.Descend, SortTarget.Version, "a,b,c")]
    public async Task Range_Sorts(SortOrder order, SortTarget target, string expected)
    {
        await Put("a", "3"); // create 2
        await Put("c", "2"); // create 3
        await Put("b", "0"); // create 4
        await Put("a", "3"); // a: version 2
        await Put("a", "3"); // a: version 3
        await Put("b", "1"); // b: version 2, mod 7
        var r = await _store.RangeAsync(new RangeRequest(B("a")) { RangeEnd = B("z"), SortOrder = order, SortTarget = target });
        if (target == SortTarget.Mod)
        {
            // a mod 6, c mod 3, b mod 7: descending = b, a, c
            expected = "b,a,c";
        }
        Assert.AreEqual(expected, string.Join(",", r.Kvs.Select(kv => S(kv.Key))));
    }

    [TestMethod]
    public async Task Range_AtAPastRevision_SeesThatRevision()
    {
        var r1 = await Put("/k", "one");
        await Put("/k", "two");
        await _store.DeleteRangeAsync(new DeleteRangeRequest(B("/k")));
        await Put("/other", "x");
        Assert.AreEqual("one", S((await _store.RangeAsync(new RangeRequest(B("/k")) { Revision = r1 })).Kvs.Single().Value));
        Assert.AreEqual("two", S((await _store.RangeAsync(new RangeRequest(B("/k")) { Revision = r1 + 1 })).Kvs.Single().Value));
        Assert.AreEqual(0, (await _store.RangeAsync(new RangeRequest(B("/k")) { Revision = r1 + 2 })).Kvs.Count);
        Assert.AreEqual(0, (await _store.RangeAsync(new RangeRequest(B("/k")) { Revision = r1 - 1 })).Kvs.Count);
    }

    [TestMethod]
    public async Task Range_FutureRevision_IsRefused()
    {
        var rev = await Put("/k", "v");
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.RangeAsync(new RangeRequest(B("/k")) { Revision = rev + 1 }));
        Assert.AreEqual(StoreErrorCode.FutureRevision, ex.Code);
        Assert.AreEqual("etcdserver: mvcc: required revision is a future revision", ex.Message);
    }

    [TestMethod]
    public async Task Compact_DiscardsHistoryBefore_ButKeepsLatestValues()
    {
        var r1 = await Put("/k", "one");
        var r2 = await Put("/k", "two");
        await Put("/gone", "x");
        await _store.DeleteRangeAsync(new DeleteRangeRequest(B("/gone")));
        var r5 = await Put("/k", "three");
        await _store.CompactAsync(r5 - 1);

        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.RangeAsync(new RangeRequest(B("/k")) { Revision = r1 }));
        Assert.AreEqual(StoreErrorCode.Compacted, ex.Code);
        Assert.AreEqual(r5 - 1, ex.CompactRevision);
        Assert.AreEqual("etcdserver: mvcc: required revision has been compacted", ex.Message);

        // At the compaction revision the state is still readable.
        Assert.AreEqual("two", S((await _store.RangeAsync(new RangeRequest(B("/k")) { Revision = r5 - 1 })).Kvs.Single().Value));
        Assert.AreEqual("three", S((await _store.RangeAsync(new RangeRequest(B("/k")))).Kvs.Single().Value));
        Assert.AreEqual(0, (await _store.RangeAsync(new RangeRequest(B("/gone")))).Kvs.Count);
        Assert.AreEqual(r5 - 1, (await _store.StatusAsync()).CompactRevision);
        _ = r2;

        var again = await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.CompactAsync(r5 - 1));
        Assert.AreEqual(StoreErrorCode.Compacted, again.Code);
        var future = await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.CompactAsync(r5 + 10));
        Assert.AreEqual(StoreErrorCode.FutureRevision, future.Code);
    }

    [TestMethod]
    public async Task EmptyKey_IsRefused()
    {
        Assert.AreEqual(StoreErrorCode.EmptyKey, (await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.PutAsync(new PutRequest([], B("v"))))).Code);
        Assert.AreEqual(StoreErrorCode.EmptyKey, (await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.RangeAsync(new RangeRequest([])))).Code);
        Assert.AreEqual(StoreErrorCode.EmptyKey, (await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.DeleteRangeAsync(new DeleteRangeRequest([])))).Code);
    }

    [TestMethod]
    public async Task Status_ReportsMemberRaftIndexAndSize()
    {
        await Put("/k", "v");
        var status = await _store.StatusAsync();
        Assert.AreEqual(_store.MemberId, status.Header.MemberId);
        Assert.AreEqual(_store.MemberId, status.Leader);
        Assert.AreEqual(1UL, status.Header.RaftTerm);
        Assert.AreEqual(1UL, status.RaftIndex);
        Assert.AreEqual(status.RaftIndex, status.RaftAppliedIndex);
        Assert.IsTrue(status.DbSize > 0);
    }
}
