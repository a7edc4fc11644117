using System.Text;
using Kube.Store;

namespace Kube.Store.Tests.EtcdClient;

/// <summary>
/// One behaviour suite for every <see cref="IKeyValueStore"/> backend: each concrete subclass provides a store
/// (the embedded store, the client to a real etcd, ...) and inherits every test. Tests share the subclass's store, so
/// each works under its own key prefix and asserts revisions relative to its own writes.
/// </summary>
/// <remarks>The API server's storage tests can reuse the pattern: an abstract suite over <see cref="IKeyValueStore"/> and one subclass per backend.</remarks>
public abstract class KeyValueStoreContractTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>The store under test, or null when its backend is unavailable (then <see cref="SkipReason"/> says why).</summary>
    protected abstract IKeyValueStore? Store { get; }

    protected virtual string SkipReason => "the store is not available";

    /// <summary>A prefix no other test uses.</summary>
    protected string P { get; } = "/contract/" + Guid.NewGuid().ToString("N")[..12] + "/";

    protected IKeyValueStore S => Store!;

    [TestInitialize]
    public void RequireStore()
    {
        if (Store is null)
        {
            Assert.Inconclusive(SkipReason);
        }
    }

    protected static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    protected static string Str(byte[] b) => Encoding.UTF8.GetString(b);

    /// <summary>The end of the range of keys that start with <paramref name="prefix"/>, as etcd's clients compute it.</summary>
    protected static byte[] PrefixEnd(string prefix)
    {
        var end = B(prefix);
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }
        return [0];
    }

    [TestMethod]
    public async Task Put_ThenGet_TracksRevisionsAndVersions()
    {
        var first = await S.PutAsync(new PutRequest(B(P + "k"), B("v1")));
        var got = (await S.RangeAsync(new RangeRequest(B(P + "k")))).Kvs.Single();
        Assert.AreEqual("v1", Str(got.Value));
        Assert.AreEqual(first.Header.Revision, got.CreateRevision);
        Assert.AreEqual(first.Header.Revision, got.ModRevision);
        Assert.AreEqual(1, got.Version);

        var second = await S.PutAsync(new PutRequest(B(P + "k"), B("v2")));
        Assert.AreEqual(first.Header.Revision + 1, second.Header.Revision);
        var again = await S.RangeAsync(new RangeRequest(B(P + "k")));
        var kv = again.Kvs.Single();
        Assert.AreEqual("v2", Str(kv.Value));
        Assert.AreEqual(first.Header.Revision, kv.CreateRevision);
        Assert.AreEqual(second.Header.Revision, kv.ModRevision);
        Assert.AreEqual(2, kv.Version);
        Assert.AreEqual(second.Header.Revision, again.Header.Revision);
        Assert.AreEqual(0, (await S.RangeAsync(new RangeRequest(B(P + "missing")))).Kvs.Count);
    }

    [TestMethod]
    public async Task Range_PrefixWithLimit_ReportsMoreCountKeysOnlyAndCountOnly()
    {
        foreach (var k in new[] { "c", "a", "b" })
        {
            await S.PutAsync(new PutRequest(B(P + k), B("value-" + k)));
        }
        var limited = await S.RangeAsync(new RangeRequest(B(P)) { RangeEnd = PrefixEnd(P), Limit = 2 });
        CollectionAssert.AreEqual(new[] { P + "a", P + "b" }, limited.Kvs.Select(kv => Str(kv.Key)).ToArray());
        Assert.IsTrue(limited.More);
        Assert.AreEqual(3, limited.Count);

        var all = await S.RangeAsync(new RangeRequest(B(P)) { RangeEnd = PrefixEnd(P) });
        Assert.AreEqual(3, all.Kvs.Count);
        Assert.IsFalse(all.More);

        var descending = await S.RangeAsync(new RangeRequest(B(P)) { RangeEnd = PrefixEnd(P), SortOrder = SortOrder.Descend, SortTarget = SortTarget.Key });
        Assert.AreEqual(P + "c", Str(descending.Kvs[0].Key));

        var keysOnly = await S.RangeAsync(new RangeRequest(B(P)) { RangeEnd = PrefixEnd(P), KeysOnly = true });
        Assert.IsTrue(keysOnly.Kvs.All(kv => kv.Value.Length == 0));
        Assert.AreEqual(3, keysOnly.Kvs.Count);

        var countOnly = await S.RangeAsync(new RangeRequest(B(P)) { RangeEnd = PrefixEnd(P), CountOnly = true });
        Assert.AreEqual(0, countOnly.Kvs.Count);
        Assert.AreEqual(3, countOnly.Count);

        var serializable = await S.RangeAsync(new RangeRequest(B(P + "a")) { Serializable = true });
        Assert.AreEqual("value-a", Str(serializable.Kvs.Single().Value));
    }

    [TestMethod]
    public async Task Range_AtAPastRevision_SeesTheOldValue_AndAFutureRevisionIsAnError()
    {
        var v1 = await S.PutAsync(new PutRequest(B(P + "k"), B("old")));
        var v2 = await S.PutAsync(new PutRequest(B(P + "k"), B("new")));
        var past = await S.RangeAsync(new RangeRequest(B(P + "k")) { Revision = v1.Header.Revision });
        Assert.AreEqual("old", Str(past.Kvs.Single().Value));
        Assert.AreEqual("new", Str((await S.RangeAsync(new RangeRequest(B(P + "k")) { Revision = v2.Header.Revision })).Kvs.Single().Value));

        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () =>
            await S.RangeAsync(new RangeRequest(B(P + "k")) { Revision = v2.Header.Revision + 1_000_000 }));
        Assert.AreEqual(StoreErrorCode.FutureRevision, ex.Code);
        Assert.AreEqual("etcdserver: mvcc: required revision is a future revision", ex.Message);
    }

    [TestMethod]
    public async Task PutAndDelete_WithPrevKv_ReturnThePreviousValues()
    {
        var none = await S.PutAsync(new PutRequest(B(P + "a"), B("1")) { PrevKv = true });
        Assert.IsNull(none.PrevKv);
        var put = await S.PutAsync(new PutRequest(B(P + "a"), B("2")) { PrevKv = true });
        Assert.AreEqual("1", Str(put.PrevKv!.Value));
        Assert.AreEqual(none.Header.Revision, put.PrevKv.ModRevision);
        await S.PutAsync(new PutRequest(B(P + "b"), B("3")));

        var deleted = await S.DeleteRangeAsync(new DeleteRangeRequest(B(P)) { RangeEnd = PrefixEnd(P), PrevKv = true });
        Assert.AreEqual(2, deleted.Deleted);
        CollectionAssert.AreEquivalent(new[] { "2", "3" }, deleted.PrevKvs.Select(kv => Str(kv.Value)).ToArray());
        Assert.AreEqual(0, (await S.RangeAsync(new RangeRequest(B(P)) { RangeEnd = PrefixEnd(P) })).Count);

        var nothing = await S.DeleteRangeAsync(new DeleteRangeRequest(B(P + "a")));
        Assert.AreEqual(0, nothing.Deleted);
        Assert.AreEqual(deleted.Header.Revision, nothing.Header.Revision, "a delete that matches nothing keeps the revision");
    }

    [TestMethod]
    public async Task Txn_CompareAndSwap_RunsSuccessOrFailureBranch()
    {
        var created = await S.PutAsync(new PutRequest(B(P + "lock"), B("free")));
        TxnRequest Swap(long expectedMod, string to) => new()
        {
            Compares = [new Compare(B(P + "lock"), CompareTarget.Mod, CompareResult.Equal) { ModRevision = expectedMod }],
            Success = [new RequestOp { Put = new PutRequest(B(P + "lock"), B(to)) }],
            Failure = [new RequestOp { Range = new RangeRequest(B(P + "lock")) }],
        };
        var won = await S.TxnAsync(Swap(created.Header.Revision, "mine"));
        Assert.IsTrue(won.Succeeded);
        Assert.AreEqual(created.Header.Revision + 1, won.Header.Revision);
        Assert.IsNotNull(won.Responses.Single().Put);

        var lost = await S.TxnAsync(Swap(created.Header.Revision, "theirs"));
        Assert.IsFalse(lost.Succeeded);
        Assert.AreEqual("mine", Str(lost.Responses.Single().Range!.Kvs.Single().Value));
        Assert.AreEqual(won.Header.Revision, lost.Header.Revision, "a failed compare changes nothing");

        var byValue = await S.TxnAsync(new TxnRequest
        {
            Compares = [new Compare(B(P + "lock"), CompareTarget.Value, CompareResult.Equal) { Value = B("mine") },
                new Compare(B(P + "absent"), CompareTarget.Version, CompareResult.Equal) { Version = 0 }],
            Success = [new RequestOp { Put = new PutRequest(B(P + "absent"), B("x")) }, new RequestOp { DeleteRange = new DeleteRangeRequest(B(P + "lock")) }],
        });
        Assert.IsTrue(byValue.Succeeded);
        Assert.AreEqual(1, byValue.Responses[1].DeleteRange!.Deleted);
        var after = await S.RangeAsync(new RangeRequest(B(P)) { RangeEnd = PrefixEnd(P) });
        Assert.AreEqual(P + "absent", Str(after.Kvs.Single().Key));
        Assert.AreEqual(byValue.Header.Revision, after.Kvs.Single().ModRevision, "all operations of a txn share one revision");
    }

    [TestMethod]
    public async Task BadRequests_GetEtcdsErrors()
    {
        var dup = await Assert.ThrowsExactlyAsync<StoreException>(async () => await S.TxnAsync(new TxnRequest
        {
            Success = [new RequestOp { Put = new PutRequest(B(P + "d"), B("1")) }, new RequestOp { Put = new PutRequest(B(P + "d"), B("2")) }],
        }));
        Assert.AreEqual(StoreErrorCode.DuplicateKey, dup.Code);

        var empty = await Assert.ThrowsExactlyAsync<StoreException>(async () => await S.PutAsync(new PutRequest([], B("x"))));
        Assert.AreEqual(StoreErrorCode.EmptyKey, empty.Code);

        var big = await Assert.ThrowsExactlyAsync<StoreException>(async () => await S.PutAsync(new PutRequest(B(P + "big"), new byte[1_600_000])));
        Assert.AreEqual(StoreErrorCode.RequestTooLarge, big.Code);
        Assert.AreEqual("etcdserver: request is too large", big.Message);
    }

    [TestMethod]
    public async Task Watch_FromAPastRevision_ReplaysHistoryWithPrevKv_ThenFollowsLiveChanges()
    {
        var first = await S.PutAsync(new PutRequest(B(P + "w"), B("1")));
        await S.PutAsync(new PutRequest(B(P + "w"), B("2")));
        await S.DeleteRangeAsync(new DeleteRangeRequest(B(P + "w")));
        await S.PutAsync(new PutRequest(B(P + "other"), B("x")));

        using var cts = new CancellationTokenSource(Deadline);
        var events = new List<WatchEvent>();
        await using var watch = S.WatchAsync(new WatchRequest(B(P + "w")) { StartRevision = first.Header.Revision, PrevKv = true }, cts.Token)
            .GetAsyncEnumerator(cts.Token);
        while (events.Count < 3)
        {
            Assert.IsTrue(await watch.MoveNextAsync());
            events.AddRange(watch.Current.Events);
        }
        Assert.AreEqual(EventType.Put, events[0].Type);
        Assert.AreEqual("1", Str(events[0].Kv.Value));
        Assert.AreEqual(first.Header.Revision, events[0].Kv.ModRevision);
        Assert.AreEqual("2", Str(events[1].Kv.Value));
        Assert.AreEqual("1", Str(events[1].PrevKv!.Value));
        Assert.AreEqual(EventType.Delete, events[2].Type);
        Assert.AreEqual(P + "w", Str(events[2].Kv.Key));
        Assert.AreEqual("2", Str(events[2].PrevKv!.Value));

        var live = await S.PutAsync(new PutRequest(B(P + "w"), B("3")));
        Assert.IsTrue(await watch.MoveNextAsync());
        var e = watch.Current.Events.Single();
        Assert.AreEqual("3", Str(e.Kv.Value));
        Assert.AreEqual(live.Header.Revision, e.Kv.ModRevision);
        Assert.AreEqual(1, e.Kv.Version, "a key re-created after a delete starts a new generation");
        Assert.IsNull(e.PrevKv);
    }

    [TestMethod]
    public async Task Watch_FromNow_SeesOnlyLaterChanges_AndFiltersByRange()
    {
        await S.PutAsync(new PutRequest(B(P + "a"), B("before")));
        using var cts = new CancellationTokenSource(Deadline);
        await using var watch = S.WatchAsync(new WatchRequest(B(P)) { RangeEnd = PrefixEnd(P) }, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = watch.MoveNextAsync().AsTask(); // the watch is created on the first MoveNext, asynchronously
        // Keep writing (bounded) until the watch has been created and sees a write; a write outside the range never shows.
        for (var i = 0; i < 400 && !next.IsCompleted; i++)
        {
            await S.PutAsync(new PutRequest(B("/contract-outside/" + P), B("x")));
            await S.PutAsync(new PutRequest(B(P + "b"), B("after")));
            await Task.WhenAny(next, Task.Delay(25));
        }
        Assert.IsTrue(await next);
        var e = watch.Current.Events[0];
        Assert.AreEqual(P + "b", Str(e.Kv.Key));
        Assert.AreEqual("after", Str(e.Kv.Value));
    }

    [TestMethod]
    public async Task Compaction_MakesOldRevisionsUnreadable_AndWatchFromThemFailsWithTheCompactRevision()
    {
        var r1 = await S.PutAsync(new PutRequest(B(P + "c"), B("1")));
        await S.PutAsync(new PutRequest(B(P + "c"), B("2")));
        var r3 = await S.PutAsync(new PutRequest(B(P + "c"), B("3")));
        await S.CompactAsync(r3.Header.Revision);

        var read = await Assert.ThrowsExactlyAsync<StoreException>(async () =>
            await S.RangeAsync(new RangeRequest(B(P + "c")) { Revision = r1.Header.Revision }));
        Assert.AreEqual(StoreErrorCode.Compacted, read.Code);
        Assert.AreEqual("etcdserver: mvcc: required revision has been compacted", read.Message);
        Assert.AreEqual("3", Str((await S.RangeAsync(new RangeRequest(B(P + "c")))).Kvs.Single().Value), "the latest value survives compaction");

        using var cts = new CancellationTokenSource(Deadline);
        var watch = await Assert.ThrowsExactlyAsync<StoreException>(async () =>
        {
            await foreach (var _ in S.WatchAsync(new WatchRequest(B(P + "c")) { StartRevision = r1.Header.Revision }, cts.Token))
            {
            }
        });
        Assert.AreEqual(StoreErrorCode.Compacted, watch.Code);
        Assert.AreEqual(r3.Header.Revision, watch.CompactRevision);

        var again = await Assert.ThrowsExactlyAsync<StoreException>(async () => await S.CompactAsync(r1.Header.Revision));
        Assert.AreEqual(StoreErrorCode.Compacted, again.Code);
        Assert.IsGreaterThanOrEqualTo(r3.Header.Revision, (await S.StatusAsync()).CompactRevision);

        // Watching from exactly the compact revision is allowed.
        await using var fromCompact = S.WatchAsync(new WatchRequest(B(P + "c")) { StartRevision = r3.Header.Revision }, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.IsTrue(await fromCompact.MoveNextAsync());
        Assert.AreEqual("3", Str(fromCompact.Current.Events.Single().Kv.Value));
    }

    [TestMethod]
    public async Task Lease_GrantAttachKeepAliveTimeToLiveRevoke()
    {
        var lease = await S.LeaseGrantAsync(60);
        Assert.AreNotEqual(0, lease.Id);
        Assert.AreEqual(60, lease.Ttl);
        await S.PutAsync(new PutRequest(B(P + "leased"), B("x")) { Lease = lease.Id });
        Assert.AreEqual(lease.Id, (await S.RangeAsync(new RangeRequest(B(P + "leased")))).Kvs.Single().Lease);

        var ttl = await S.LeaseTimeToLiveAsync(lease.Id, keys: true);
        Assert.AreEqual(60, ttl.GrantedTtl);
        Assert.IsTrue(ttl.Ttl is > 0 and <= 60);
        Assert.AreEqual(P + "leased", Str(ttl.Keys.Single()));

        var kept = await S.LeaseKeepAliveAsync(lease.Id);
        Assert.AreEqual(lease.Id, kept.Id);
        Assert.AreEqual(60, kept.Ttl);
        Assert.AreEqual(60, (await S.LeaseKeepAliveAsync(lease.Id)).Ttl, "the keepalive stream serves request after request");

        var chosen = await S.LeaseGrantAsync(30, id: lease.Id + 1);
        Assert.AreEqual(lease.Id + 1, chosen.Id);
        var exists = await Assert.ThrowsExactlyAsync<StoreException>(async () => await S.LeaseGrantAsync(30, id: chosen.Id));
        Assert.AreEqual(StoreErrorCode.LeaseExists, exists.Code);
        await S.LeaseRevokeAsync(chosen.Id);

        await S.LeaseRevokeAsync(lease.Id);
        Assert.AreEqual(0, (await S.RangeAsync(new RangeRequest(B(P + "leased")))).Kvs.Count, "revoking deletes the attached keys");
        Assert.AreEqual(-1, (await S.LeaseTimeToLiveAsync(lease.Id, keys: false)).Ttl);
        Assert.AreEqual(0, (await S.LeaseKeepAliveAsync(lease.Id)).Ttl);
        var gone = await Assert.ThrowsExactlyAsync<StoreException>(async () => await S.LeaseRevokeAsync(lease.Id));
        Assert.AreEqual(StoreErrorCode.LeaseNotFound, gone.Code);
        Assert.AreEqual("etcdserver: requested lease not found", gone.Message);
        var unknown = await Assert.ThrowsExactlyAsync<StoreException>(async () =>
            await S.PutAsync(new PutRequest(B(P + "x"), B("x")) { Lease = lease.Id }));
        Assert.AreEqual(StoreErrorCode.LeaseNotFound, unknown.Code);
    }

    [TestMethod]
    public async Task Lease_Expiry_DeletesTheAttachedKeys()
    {
        var lease = await S.LeaseGrantAsync(1);
        Assert.AreEqual(2, lease.Ttl, "TTLs are raised to the 2 s minimum");
        var put = await S.PutAsync(new PutRequest(B(P + "ephemeral"), B("x")) { Lease = lease.Id });
        using var cts = new CancellationTokenSource(Deadline);
        await foreach (var response in S.WatchAsync(new WatchRequest(B(P + "ephemeral")) { StartRevision = put.Header.Revision + 1 }, cts.Token))
        {
            if (response.Events.Any(e => e.Type == EventType.Delete))
            {
                break;
            }
        }
        Assert.AreEqual(0, (await S.RangeAsync(new RangeRequest(B(P + "ephemeral")))).Kvs.Count);
        Assert.AreEqual(-1, (await S.LeaseTimeToLiveAsync(lease.Id, keys: false)).Ttl);
    }

    [TestMethod]
    public async Task Watch_WithProgressNotify_SendsAnEmptyResponseAtTheCurrentRevisionWhenIdle()
    {
        var put = await S.PutAsync(new PutRequest(B(P + "p"), B("x")));
        using var cts = new CancellationTokenSource(Deadline);
        await foreach (var response in S.WatchAsync(new WatchRequest(B(P + "p"))
        {
            StartRevision = put.Header.Revision + 1, ProgressNotify = true, ProgressInterval = TimeSpan.FromMilliseconds(300),
        }, cts.Token))
        {
            Assert.AreEqual(0, response.Events.Count);
            Assert.IsGreaterThanOrEqualTo(put.Header.Revision, response.Header.Revision);
            return;
        }
        Assert.Fail("the watch ended without a progress notification");
    }

    [TestMethod]
    public async Task Status_ReportsTheCurrentRevisionAndALeader()
    {
        var put = await S.PutAsync(new PutRequest(B(P + "s"), B("x")));
        var status = await S.StatusAsync();
        Assert.IsGreaterThanOrEqualTo(put.Header.Revision, status.Header.Revision);
        Assert.AreNotEqual(0UL, status.Header.MemberId);
        Assert.AreEqual(status.Header.MemberId, status.Leader);
        Assert.IsGreaterThan(0L, status.DbSize);
    }
}
