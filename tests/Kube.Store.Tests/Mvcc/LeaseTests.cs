using Kube.Store;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Mvcc;

[TestClass]
public sealed class LeaseTests
{
    private StoreTestContext _ctx = null!;
    private EmbeddedStore _store = null!;

    [TestInitialize]
    public async Task Init()
    {
        _ctx = new StoreTestContext();
        _store = await _ctx.OpenAsync(fakeTime: true);
    }

    [TestCleanup]
    public async Task Cleanup() => await _ctx.DisposeAsync();

    private async Task<bool> Exists(string key) => (await _store.RangeAsync(new RangeRequest(B(key)))).Kvs.Count == 1;

    [TestMethod]
    public async Task Grant_ChoosesAnId_AndTimeToLiveReportsKeys()
    {
        var lease = await _store.LeaseGrantAsync(30);
        Assert.AreNotEqual(0, lease.Id);
        Assert.AreEqual(30, lease.Ttl);
        await _store.PutAsync(new PutRequest(B("/l/a"), B("v")) { Lease = lease.Id });
        _ctx.Time.Advance(TimeSpan.FromSeconds(10));
        var ttl = await _store.LeaseTimeToLiveAsync(lease.Id, keys: true);
        Assert.AreEqual(20, ttl.Ttl);
        Assert.AreEqual(30, ttl.GrantedTtl);
        Assert.AreEqual("/l/a", S(ttl.Keys.Single()));
        Assert.AreEqual(lease.Id, (await _store.RangeAsync(new RangeRequest(B("/l/a")))).Kvs.Single().Lease);
    }

    [TestMethod]
    public async Task Grant_WithAChosenId_RefusesADuplicate_AndRaisesTinyTtls()
    {
        var lease = await _store.LeaseGrantAsync(1, id: 42);
        Assert.AreEqual(42, lease.Id);
        Assert.AreEqual(2, lease.Ttl, "etcd's minimum TTL");
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.LeaseGrantAsync(10, id: 42));
        Assert.AreEqual(StoreErrorCode.LeaseExists, ex.Code);
    }

    [TestMethod]
    public async Task Expiry_DeletesAttachedKeys_InOneRevision_AndKeepsOthers()
    {
        var lease = await _store.LeaseGrantAsync(5);
        await _store.PutAsync(new PutRequest(B("/l/a"), B("v")) { Lease = lease.Id });
        await _store.PutAsync(new PutRequest(B("/l/b"), B("v")) { Lease = lease.Id });
        var rev = (await _store.PutAsync(new PutRequest(B("/l/keep"), B("v")))).Header.Revision;
        _ctx.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.IsTrue(await Exists("/l/a"), "not expired yet");
        await WaitUntilAsync(async () =>
        {
            _ctx.Time.Advance(TimeSpan.FromMilliseconds(500));
            return !await Exists("/l/a");
        }, what: "the lease to expire");
        Assert.IsFalse(await Exists("/l/b"));
        Assert.IsTrue(await Exists("/l/keep"));
        Assert.AreEqual(rev + 1, (await _store.StatusAsync()).Header.Revision, "both deletes share one revision");
        Assert.AreEqual(-1, (await _store.LeaseTimeToLiveAsync(lease.Id, false)).Ttl);
    }

    [TestMethod]
    public async Task KeepAlive_PostponesExpiry()
    {
        var lease = await _store.LeaseGrantAsync(5);
        await _store.PutAsync(new PutRequest(B("/l/a"), B("v")) { Lease = lease.Id });
        for (var i = 0; i < 6; i++)
        {
            _ctx.Time.Advance(TimeSpan.FromSeconds(3));
            Assert.AreEqual(5, (await _store.LeaseKeepAliveAsync(lease.Id)).Ttl);
        }
        Assert.IsTrue(await Exists("/l/a"), "18 s after the grant, kept alive every 3 s");
        Assert.AreEqual(0, (await _store.LeaseKeepAliveAsync(999)).Ttl, "unknown lease");
    }

    [TestMethod]
    public async Task Revoke_DeletesKeys_AndUnknownLeaseIsNotFound()
    {
        var lease = await _store.LeaseGrantAsync(60);
        await _store.PutAsync(new PutRequest(B("/l/r"), B("v")) { Lease = lease.Id });
        await _store.LeaseRevokeAsync(lease.Id);
        Assert.IsFalse(await Exists("/l/r"));
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.LeaseRevokeAsync(lease.Id));
        Assert.AreEqual(StoreErrorCode.LeaseNotFound, ex.Code);
        Assert.AreEqual("etcdserver: requested lease not found", ex.Message);
    }

    [TestMethod]
    public async Task Put_MovingAKeyOffALease_DetachesIt()
    {
        var lease = await _store.LeaseGrantAsync(60);
        await _store.PutAsync(new PutRequest(B("/l/m"), B("v")) { Lease = lease.Id });
        await _store.PutAsync(new PutRequest(B("/l/m"), B("v2")));
        await _store.LeaseRevokeAsync(lease.Id);
        Assert.IsTrue(await Exists("/l/m"));
    }

    [TestMethod]
    public async Task Put_WithAnUnknownLease_IsRefused()
    {
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await _store.PutAsync(new PutRequest(B("/x"), B("v")) { Lease = 777 }));
        Assert.AreEqual(StoreErrorCode.LeaseNotFound, ex.Code);
    }
}
