using Kube.Store;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Mvcc;

[TestClass]
public sealed class LimitTests
{
    [TestMethod]
    public async Task Put_LargerThanMaxRequestBytes_IsRefusedWithEtcdsMessage()
    {
        await using var ctx = new StoreTestContext();
        var store = await ctx.OpenAsync();
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await store.PutAsync(new PutRequest(B("/big"), new byte[1_600_000])));
        Assert.AreEqual(StoreErrorCode.RequestTooLarge, ex.Code);
        Assert.AreEqual("etcdserver: request is too large", ex.Message);
        await store.PutAsync(new PutRequest(B("/ok"), new byte[1_500_000]));
    }

    [TestMethod]
    public async Task Put_BeyondTheQuota_IsRefused_ButDeletesStillWork()
    {
        await using var ctx = new StoreTestContext();
        var store = await ctx.OpenAsync(o => o.QuotaBackendBytes = 64 * 1024);
        StoreException? ex = null;
        for (var i = 0; i < 100 && ex is null; i++)
        {
            try
            {
                await store.PutAsync(new PutRequest(B($"/q/{i}"), new byte[4096]));
            }
            catch (StoreException e)
            {
                ex = e;
            }
        }
        Assert.IsNotNull(ex);
        Assert.AreEqual(StoreErrorCode.NoSpace, ex.Code);
        Assert.AreEqual("etcdserver: mvcc: database space exceeded", ex.Message);
        var del = await store.DeleteRangeAsync(new DeleteRangeRequest(B("/q/")) { RangeEnd = B("/q0") });
        Assert.IsTrue(del.Deleted > 0);
    }
}
