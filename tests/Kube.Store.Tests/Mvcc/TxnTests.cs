using Kube.Store;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Mvcc;

[TestClass]
public sealed class TxnTests
{
    private StoreTestContext _ctx = null!;
    private EmbeddedStore _store = null!;

    [TestInitialize]
    public async Task Init()
    {
        _ctx = new StoreTestContext();
        _store = await _ctx.OpenAsync();
        await _store.PutAsync(new PutRequest(B("/k"), B("b"))); // rev 2: create 2, mod 2, version 1
        await _store.PutAsync(new PutRequest(B("/k"), B("b"))); // rev 3: mod 3, version 2
    }

    [TestCleanup]
    public async Task Cleanup() => await _ctx.DisposeAsync();

    [TestMethod]
    [DataRow(CompareTarget.Value, CompareResult.Equal, "b", 0L, true)]
    [DataRow(CompareTarget.Value, CompareResult.Greater, "a", 0L, true)]
    [DataRow(CompareTarget.Value, CompareResult.Less, "a", 0L, false)]
    [DataRow(CompareTarget.Value, CompareResult.NotEqual, "b", 0L, false)]
    [DataRow(CompareTarget.Version, CompareResult.Equal, null, 2L, true)]
    [DataRow(CompareTarget.Version, CompareResult.Less, null, 2L, false)]
    [DataRow(CompareTarget.Create, CompareResult.Equal, null, 2L, true)]
    [DataRow(CompareTarget.Mod, CompareResult.Equal, null, 3L, true)]
    [DataRow(CompareTarget.Mod, CompareResult.Greater, null, 2L, true)]
    [DataRow(CompareTarget.Mod, CompareResult.NotEqual, null, 3L, false)]
    [DataRow(CompareTarget.Lease, CompareResult.Equal, null, 0L, true)]
    public async Task Compare_OnAnExistingKey(CompareTarget target, CompareResult result, string? value, long number, bool expected)
    {
        var compare = new Compare(B("/k"), target, result)
        {
            Value = value is null ? null : B(value), Version = number, CreateRevision = number, ModRevision = number, Lease = number,
        };
        var r = await _store.TxnAsync(new TxnRequest { Compares = [compare] });
        Assert.AreEqual(expected, r.Succeeded);
    }

    [TestMethod]
    [DataRow(CompareTarget.Mod, CompareResult.Equal, 0L, true, DisplayName = "create-if-absent: mod == 0")]
    [DataRow(CompareTarget.Version, CompareResult.Equal, 0L, true)]
    [DataRow(CompareTarget.Create, CompareResult.Greater, 0L, false)]
    [DataRow(CompareTarget.Value, CompareResult.NotEqual, 0L, false, DisplayName = "value compares fail on a missing key")]
    public async Task Compare_OnAMissingKey(CompareTarget target, CompareResult result, long number, bool expected)
    {
        var compare = new Compare(B("/missing"), target, result) { Version = number, CreateRevision = number, ModRevision = number, Value = B("x") };
        Assert.AreEqual(expected, (await _store.TxnAsync(new TxnRequest { Compares = [compare] })).Succeeded);
    }

    [TestMethod]
    public async Task Compare_OverARange_RequiresEveryKey()
    {
        await _store.PutAsync(new PutRequest(B("/r/1"), B("x")));
        await _store.PutAsync(new PutRequest(B("/r/2"), B("x")));
        var all = new Compare(B("/r/"), CompareTarget.Value, CompareResult.Equal) { RangeEnd = B("/r0"), Value = B("x") };
        Assert.IsTrue((await _store.TxnAsync(new TxnRequest { Compares = [all] })).Succeeded);
        await _store.PutAsync(new PutRequest(B("/r/2"), B("y")));
        Assert.IsFalse((await _store.TxnAsync(new TxnRequest { Compares = [all] })).Succeeded);
    }

    [TestMethod]
    public async Task Txn_RunsTheChosenBranch_AtOneRevision_WithSubRevisionOrder()
    {
        var before = (await _store.StatusAsync()).Header.Revision;
        var r = await _store.TxnAsync(new TxnRequest
        {
            Compares = [new Compare(B("/k"), CompareTarget.Mod, CompareResult.Equal) { ModRevision = 3 }],
            Success =
            [
                new RequestOp { Put = new PutRequest(B("/x"), B("1")) },
                new RequestOp { Put = new PutRequest(B("/y"), B("2")) },
                new RequestOp { DeleteRange = new DeleteRangeRequest(B("/k")) { PrevKv = true } },
                new RequestOp { Range = new RangeRequest(B("/x")) },
            ],
            Failure = [new RequestOp { Put = new PutRequest(B("/failed"), B("1")) }],
        });
        Assert.IsTrue(r.Succeeded);
        Assert.AreEqual(before + 1, r.Header.Revision);
        Assert.AreEqual(4, r.Responses.Count);
        Assert.AreEqual("b", S(r.Responses[2].DeleteRange!.PrevKvs.Single().Value));
        Assert.AreEqual("1", S(r.Responses[3].Range!.Kvs.Single().Value), "a range in a txn sees the txn's earlier writes");
        Assert.IsTrue(r.Responses.All(x => (x.Put?.Header ?? x.DeleteRange?.Header ?? x.Range!.Header).Revision == before + 1));
        var x = (await _store.RangeAsync(new RangeRequest(B("/x")))).Kvs.Single();
        var y = (await _store.RangeAsync(new RangeRequest(B("/y")))).Kvs.Single();
        Assert.AreEqual(before + 1, x.ModRevision);
        Assert.AreEqual(before + 1, y.ModRevision);
        Assert.AreEqual(0, (await _store.RangeAsync(new RangeRequest(B("/failed")))).Kvs.Count);
    }

    [TestMethod]
    public async Task Txn_FailureBranch_RunsWhenACompareFails()
    {
        var r = await _store.TxnAsync(new TxnRequest
        {
            Compares = [new Compare(B("/k"), CompareTarget.Value, CompareResult.Equal) { Value = B("nope") }],
            Success = [new RequestOp { Put = new PutRequest(B("/s"), B("1")) }],
            Failure = [new RequestOp { Range = new RangeRequest(B("/k")) }],
        });
        Assert.IsFalse(r.Succeeded);
        Assert.AreEqual("b", S(r.Responses.Single().Range!.Kvs.Single().Value));
        Assert.AreEqual(3, r.Header.Revision, "a read-only branch does not bump the revision");
    }

    [TestMethod]
    public async Task Txn_Nested_Works()
    {
        var r = await _store.TxnAsync(new TxnRequest
        {
            Success =
            [
                new RequestOp
                {
                    Txn = new TxnRequest
                    {
                        Compares = [new Compare(B("/k"), CompareTarget.Version, CompareResult.Equal) { Version = 2 }],
                        Success = [new RequestOp { Put = new PutRequest(B("/nested"), B("yes")) }],
                    },
                },
            ],
        });
        Assert.IsTrue(r.Responses.Single().Txn!.Succeeded);
        Assert.AreEqual("yes", S((await _store.RangeAsync(new RangeRequest(B("/nested")))).Kvs.Single().Value));
    }

    [TestMethod]
    public async Task Txn_DuplicateKeysInOneBranch_AreRefused()
    {
        var dup = new TxnRequest
        {
            Success = [new RequestOp { Put = new PutRequest(B("/d"), B("1")) }, new RequestOp { Put = new PutRequest(B("/d"), B("2")) }],
        };
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.TxnAsync(dup));
        Assert.AreEqual(StoreErrorCode.DuplicateKey, ex.Code);

        var overlap = new TxnRequest
        {
            Success = [new RequestOp { DeleteRange = new DeleteRangeRequest(B("/d/")) { RangeEnd = B("/d0") } }, new RequestOp { Put = new PutRequest(B("/d/1"), B("2")) }],
        };
        Assert.AreEqual(StoreErrorCode.DuplicateKey, (await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.TxnAsync(overlap))).Code);
    }

    [TestMethod]
    public async Task Txn_WithAMissingLease_FailsWhole()
    {
        var r0 = (await _store.StatusAsync()).Header.Revision;
        var txn = new TxnRequest
        {
            Success = [new RequestOp { Put = new PutRequest(B("/first"), B("1")) }, new RequestOp { Put = new PutRequest(B("/leased"), B("1")) { Lease = 12345 } }],
        };
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.TxnAsync(txn));
        Assert.AreEqual(StoreErrorCode.LeaseNotFound, ex.Code);
        Assert.AreEqual(0, (await _store.RangeAsync(new RangeRequest(B("/first")))).Kvs.Count);
        Assert.AreEqual(r0, (await _store.StatusAsync()).Header.Revision);
    }
}
