using Kube.Store;
using Kube.Store.Mvcc;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Mvcc;

[TestClass]
public sealed class CommandCodecTests
{
    [TestMethod]
    public void Txn_RoundTripsEveryField()
    {
        var txn = new TxnRequest
        {
            Compares = [new Compare(B("k"), CompareTarget.Value, CompareResult.NotEqual) { RangeEnd = B("\0"), Value = B("v"), Version = -1, CreateRevision = long.MaxValue, ModRevision = 3, Lease = 9 }],
            Success =
            [
                new RequestOp { Range = new RangeRequest(B("r")) { RangeEnd = B("s"), Limit = 5, Revision = 7, SortOrder = SortOrder.Descend, SortTarget = SortTarget.Mod, KeysOnly = true, CountOnly = true, Serializable = true, MinModRevision = 1, MaxModRevision = 2, MinCreateRevision = 3, MaxCreateRevision = 4 } },
                new RequestOp { Put = new PutRequest(B("p"), []) { Lease = 11, PrevKv = true, IgnoreLease = true } },
            ],
            Failure =
            [
                new RequestOp { DeleteRange = new DeleteRangeRequest(B("d")) { PrevKv = true } },
                new RequestOp { Txn = new TxnRequest { Success = [new RequestOp { Put = new PutRequest(B("n"), B("x")) }] } },
            ],
        };
        var decoded = ((TxnCommand)CommandCodec.Decode(CommandCodec.Encode(new TxnCommand(txn)))).Txn;
        var c = decoded.Compares.Single();
        Assert.AreEqual(CompareTarget.Value, c.Target);
        Assert.AreEqual(CompareResult.NotEqual, c.Result);
        Assert.AreEqual(-1, c.Version);
        Assert.AreEqual(long.MaxValue, c.CreateRevision);
        Assert.AreEqual("v", S(c.Value!));
        Assert.AreEqual("\0", S(c.RangeEnd!));
        var range = decoded.Success[0].Range!;
        Assert.AreEqual(range, txn.Success[0].Range! with { Key = range.Key, RangeEnd = range.RangeEnd });
        Assert.AreEqual("s", S(range.RangeEnd!));
        var put = decoded.Success[1].Put!;
        Assert.IsTrue(put.PrevKv && put.IgnoreLease && !put.IgnoreValue);
        Assert.AreEqual(11, put.Lease);
        Assert.IsNull(decoded.Failure[0].DeleteRange!.RangeEnd);
        Assert.AreEqual("n", S(decoded.Failure[1].Txn!.Success[0].Put!.Key));
    }

    [TestMethod]
    [DataRow(new byte[] { })]
    [DataRow(new byte[] { 9 })]
    [DataRow(new byte[] { 1, 5 })]
    [DataRow(new byte[] { 2, 0x80 })]
    public void Decode_RejectsMalformedInput(byte[] data)
    {
        Assert.ThrowsExactly<InvalidDataException>(() => CommandCodec.Decode(data));
    }
}
