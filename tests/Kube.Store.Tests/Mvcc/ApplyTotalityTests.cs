using Kube.Store;
using Kube.Store.Mvcc;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Mvcc;

/// <summary>
/// Applying a committed entry must never throw (it would stop the write loop) and a txn must never be half-applied,
/// even for command shapes the API refuses up front (the log may come from elsewhere, e.g. replay).
/// </summary>
[TestClass]
public sealed class ApplyTotalityTests
{
    private readonly MvccStateDriver _driver = new();

    private object Apply(MvccState state, StoreCommand command) => _driver.Apply(state, command);

    private static MvccState NewState() => MvccStateDriver.NewState();

    [TestMethod]
    public void DeleteThenPutIgnoreValue_InOneTxn_AppliesWithoutThrowing()
    {
        using var state = NewState();
        Apply(state, new TxnCommand(new TxnRequest { Success = [new RequestOp { Put = new PutRequest(B("k"), B("v")) }] }));
        var result = Apply(state, new TxnCommand(new TxnRequest
        {
            Success = [new RequestOp { DeleteRange = new DeleteRangeRequest(B("k")) }, new RequestOp { Put = new PutRequest(B("k"), B("fallback")) { IgnoreValue = true } }],
        }));
        Assert.IsInstanceOfType<TxnResult>(result);
        Assert.AreEqual("fallback", S(state.Range(new RangeRequest(B("k"))).Kvs.Single().Value));
    }

    [TestMethod]
    public void NestedTxnWithAMissingLease_FailsBeforeAnyChange()
    {
        using var state = NewState();
        var before = state.Revision;
        var result = Apply(state, new TxnCommand(new TxnRequest
        {
            Success =
            [
                new RequestOp { Put = new PutRequest(B("a"), B("1")) },
                new RequestOp { Txn = new TxnRequest { Success = [new RequestOp { Put = new PutRequest(B("b"), B("2")) { Lease = 999 } }] } },
            ],
        }));
        Assert.AreEqual(StoreErrorCode.LeaseNotFound, ((StoreException)result).Code);
        Assert.AreEqual(before, state.Revision);
        Assert.AreEqual(0, state.Range(new RangeRequest(B("a"))).Kvs.Count);
    }

    [TestMethod]
    [DataRow(long.MaxValue)]
    [DataRow(long.MinValue)]
    [DataRow(0L)]
    public void LeaseGrant_WithAnExtremeTtl_IsClamped(long ttl)
    {
        using var state = NewState();
        var result = (LeaseGrantResult)Apply(state, new LeaseGrantCommand(7, ttl));
        Assert.IsTrue(result.Ttl is >= MvccState.MinLeaseTtl and <= MvccState.MaxLeaseTtl);
    }

    [TestMethod]
    public async Task LeaseGrant_AboveEtcdsMaximum_IsRefusedByTheApi()
    {
        await using var ctx = new StoreTestContext();
        var store = await ctx.OpenAsync();
        try
        {
            var r = await store.LeaseGrantAsync(MvccState.MaxLeaseTtl + 1);
            Assert.Fail($"granted: {r}");
        }
        catch (ArgumentOutOfRangeException ex)
        {
            StringAssert.Contains(ex.Message, "too large lease TTL");
        }
    }
}
