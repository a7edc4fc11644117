using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using V3 = Kube.Store.Etcd.Protocol;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Etcd;

[TestClass]
public sealed class EtcdGrpcTests
{
    private static EtcdServerFixture s_server = null!;

    [ClassInitialize]
    public static async Task Start(TestContext _) => s_server = await EtcdServerFixture.StartAsync();

    [ClassCleanup]
    public static async Task Stop() => await s_server.DisposeAsync();

    private static V3.KV.KVClient Kv => new(s_server.Channel);

    private static ByteString Bs(string s) => ByteString.CopyFromUtf8(s);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow.AddSeconds(10));

    [TestMethod]
    public async Task PutAndRange_RoundTripOverGrpc()
    {
        var put = await Kv.PutAsync(new V3.PutRequest { Key = Bs("/grpc/a"), Value = Bs("1") }, Deadline);
        Assert.IsTrue(put.Header.Revision > 1);
        Assert.AreNotEqual(0UL, put.Header.MemberId);
        await Kv.PutAsync(new V3.PutRequest { Key = Bs("/grpc/b"), Value = Bs("2") }, Deadline);
        var range = await Kv.RangeAsync(new V3.RangeRequest { Key = Bs("/grpc/"), RangeEnd = Bs("/grpc0"), Limit = 1 }, Deadline);
        Assert.AreEqual(1, range.Kvs.Count);
        Assert.IsTrue(range.More);
        Assert.AreEqual(2, range.Count);
        Assert.AreEqual("1", range.Kvs[0].Value.ToStringUtf8());
        Assert.AreEqual(put.Header.Revision, range.Kvs[0].ModRevision);
    }

    [TestMethod]
    public async Task Txn_CompareAndSwap_OverGrpc()
    {
        var created = await Kv.TxnAsync(new V3.TxnRequest
        {
            Compare = { new V3.Compare { Key = Bs("/grpc/cas"), Target = V3.Compare.Types.CompareTarget.Mod, Result = V3.Compare.Types.CompareResult.Equal, ModRevision = 0 } },
            Success = { new V3.RequestOp { RequestPut = new V3.PutRequest { Key = Bs("/grpc/cas"), Value = Bs("v1") } } },
            Failure = { new V3.RequestOp { RequestRange = new V3.RangeRequest { Key = Bs("/grpc/cas") } } },
        }, Deadline);
        Assert.IsTrue(created.Succeeded);
        var again = await Kv.TxnAsync(new V3.TxnRequest
        {
            Compare = { new V3.Compare { Key = Bs("/grpc/cas"), Target = V3.Compare.Types.CompareTarget.Mod, Result = V3.Compare.Types.CompareResult.Equal, ModRevision = 0 } },
            Success = { new V3.RequestOp { RequestPut = new V3.PutRequest { Key = Bs("/grpc/cas"), Value = Bs("v2") } } },
            Failure = { new V3.RequestOp { RequestRange = new V3.RangeRequest { Key = Bs("/grpc/cas") } } },
        }, Deadline);
        Assert.IsFalse(again.Succeeded);
        Assert.AreEqual("v1", again.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8());
    }

    [TestMethod]
    public async Task Errors_CarryEtcdsStatusCodeAndMessage()
    {
        var tooLarge = await Assert.ThrowsExactlyAsync<RpcException>(async () =>
            await Kv.PutAsync(new V3.PutRequest { Key = Bs("/grpc/big"), Value = ByteString.CopyFrom(new byte[1_600_000]) }, Deadline));
        Assert.AreEqual(StatusCode.InvalidArgument, tooLarge.StatusCode);
        Assert.AreEqual("etcdserver: request is too large", tooLarge.Status.Detail);

        var r1 = (await Kv.PutAsync(new V3.PutRequest { Key = Bs("/grpc/c"), Value = Bs("1") }, Deadline)).Header.Revision;
        var r2 = (await Kv.PutAsync(new V3.PutRequest { Key = Bs("/grpc/c"), Value = Bs("2") }, Deadline)).Header.Revision;
        await Kv.CompactAsync(new V3.CompactionRequest { Revision = r2 }, Deadline);
        var compacted = await Assert.ThrowsExactlyAsync<RpcException>(async () =>
            await Kv.RangeAsync(new V3.RangeRequest { Key = Bs("/grpc/c"), Revision = r1 }, Deadline));
        Assert.AreEqual(StatusCode.OutOfRange, compacted.StatusCode);
        Assert.AreEqual("etcdserver: mvcc: required revision has been compacted", compacted.Status.Detail);

        var lease = new V3.Lease.LeaseClient(s_server.Channel);
        var notFound = await Assert.ThrowsExactlyAsync<RpcException>(async () => await lease.LeaseRevokeAsync(new V3.LeaseRevokeRequest { ID = 424242 }, Deadline));
        Assert.AreEqual(StatusCode.NotFound, notFound.StatusCode);
        Assert.AreEqual("etcdserver: requested lease not found", notFound.Status.Detail);
    }

    [TestMethod]
    public async Task Watch_SendsCreatedFirst_ThenEventsInOrder_AndCancels()
    {
        using var call = new V3.Watch.WatchClient(s_server.Channel).Watch(Deadline);
        await call.RequestStream.WriteAsync(new V3.WatchRequest { CreateRequest = new V3.WatchCreateRequest { Key = Bs("/grpc/w/"), RangeEnd = Bs("/grpc/w0"), PrevKv = true } });
        Assert.IsTrue(await call.ResponseStream.MoveNext());
        var created = call.ResponseStream.Current;
        Assert.IsTrue(created.Created);
        var id = created.WatchId;

        await Kv.PutAsync(new V3.PutRequest { Key = Bs("/grpc/w/x"), Value = Bs("1") }, Deadline);
        await Kv.PutAsync(new V3.PutRequest { Key = Bs("/grpc/w/x"), Value = Bs("2") }, Deadline);
        await Kv.DeleteRangeAsync(new V3.DeleteRangeRequest { Key = Bs("/grpc/w/x") }, Deadline);
        var events = new List<V3.Event>();
        while (events.Count < 3 && await call.ResponseStream.MoveNext())
        {
            Assert.AreEqual(id, call.ResponseStream.Current.WatchId);
            events.AddRange(call.ResponseStream.Current.Events);
        }
        CollectionAssert.AreEqual(new[] { "PUT", "PUT", "DELETE" }, events.Select(e => e.Type == V3.Event.Types.EventType.Put ? "PUT" : "DELETE").ToArray());
        Assert.AreEqual("1", events[1].PrevKv.Value.ToStringUtf8());
        Assert.IsTrue(events[0].Kv.ModRevision > created.Header.Revision);

        await call.RequestStream.WriteAsync(new V3.WatchRequest { CancelRequest = new V3.WatchCancelRequest { WatchId = id } });
        Assert.IsTrue(await call.ResponseStream.MoveNext());
        Assert.IsTrue(call.ResponseStream.Current.Canceled);
        Assert.AreEqual(id, call.ResponseStream.Current.WatchId);
        await call.RequestStream.CompleteAsync();
    }

    [TestMethod]
    public async Task Watch_WatchesOfOneStream_EachGetTheirOwnIdPrevKvAndKeys_ForTheSameRevisions()
    {
        using var call = new V3.Watch.WatchClient(s_server.Channel).Watch(Deadline);
        var creates = new[]
        {
            new V3.WatchCreateRequest { Key = Bs("/grpc/m/"), RangeEnd = Bs("/grpc/m0"), PrevKv = true },
            new V3.WatchCreateRequest { Key = Bs("/grpc/m/"), RangeEnd = Bs("/grpc/m0") },
            new V3.WatchCreateRequest { Key = Bs("/grpc/m/a") },
        };
        var ids = new List<long>();
        foreach (var create in creates)
        {
            await call.RequestStream.WriteAsync(new V3.WatchRequest { CreateRequest = create });
            Assert.IsTrue(await call.ResponseStream.MoveNext());
            Assert.IsTrue(call.ResponseStream.Current.Created);
            ids.Add(call.ResponseStream.Current.WatchId);
        }

        await Kv.PutAsync(new V3.PutRequest { Key = Bs("/grpc/m/a"), Value = Bs("1") }, Deadline);
        await Kv.TxnAsync(new V3.TxnRequest
        {
            Success =
            {
                new V3.RequestOp { RequestPut = new V3.PutRequest { Key = Bs("/grpc/m/a"), Value = Bs("2") } },
                new V3.RequestOp { RequestPut = new V3.PutRequest { Key = Bs("/grpc/m/b"), Value = Bs("2") } },
            },
        }, Deadline);
        var events = ids.ToDictionary(id => id, _ => new List<V3.Event>());
        while (events[ids[0]].Count + events[ids[1]].Count + events[ids[2]].Count < 3 + 3 + 2 && await call.ResponseStream.MoveNext())
        {
            events[call.ResponseStream.Current.WatchId].AddRange(call.ResponseStream.Current.Events);
        }

        string Describe(V3.Event e) => $"{e.Kv.Key.ToStringUtf8()}={e.Kv.Value.ToStringUtf8()} prev={(e.PrevKv is null ? "none" : e.PrevKv.Value.ToStringUtf8())}";
        CollectionAssert.AreEqual(new[] { "/grpc/m/a=1 prev=none", "/grpc/m/a=2 prev=1", "/grpc/m/b=2 prev=none" }, events[ids[0]].Select(Describe).ToArray());
        CollectionAssert.AreEqual(new[] { "/grpc/m/a=1 prev=none", "/grpc/m/a=2 prev=none", "/grpc/m/b=2 prev=none" }, events[ids[1]].Select(Describe).ToArray());
        CollectionAssert.AreEqual(new[] { "/grpc/m/a=1 prev=none", "/grpc/m/a=2 prev=none" }, events[ids[2]].Select(Describe).ToArray());
        await call.RequestStream.CompleteAsync();
    }

    [TestMethod]
    public async Task Watch_FromACompactedRevision_IsCanceledWithTheCompactRevision()
    {
        var r1 = (await Kv.PutAsync(new V3.PutRequest { Key = Bs("/grpc/wc"), Value = Bs("1") }, Deadline)).Header.Revision;
        var r2 = (await Kv.PutAsync(new V3.PutRequest { Key = Bs("/grpc/wc"), Value = Bs("2") }, Deadline)).Header.Revision;
        try
        {
            await Kv.CompactAsync(new V3.CompactionRequest { Revision = r2 }, Deadline);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.OutOfRange)
        {
            // Another test compacted further already.
        }
        using var call = new V3.Watch.WatchClient(s_server.Channel).Watch(Deadline);
        await call.RequestStream.WriteAsync(new V3.WatchRequest { CreateRequest = new V3.WatchCreateRequest { Key = Bs("/grpc/wc"), StartRevision = r1 } });
        Assert.IsTrue(await call.ResponseStream.MoveNext());
        Assert.IsTrue(call.ResponseStream.Current.Created);
        Assert.IsTrue(await call.ResponseStream.MoveNext());
        Assert.IsTrue(call.ResponseStream.Current.Canceled);
        Assert.IsTrue(call.ResponseStream.Current.CompactRevision >= r2);
        await call.RequestStream.CompleteAsync();
    }

    [TestMethod]
    public async Task Lease_GrantKeepAliveTimeToLiveRevise()
    {
        var client = new V3.Lease.LeaseClient(s_server.Channel);
        var grant = await client.LeaseGrantAsync(new V3.LeaseGrantRequest { TTL = 30 }, Deadline);
        Assert.AreNotEqual(0, grant.ID);
        Assert.AreEqual(30, grant.TTL);
        await Kv.PutAsync(new V3.PutRequest { Key = Bs("/grpc/lease"), Value = Bs("v"), Lease = grant.ID }, Deadline);
        using (var keepAlive = client.LeaseKeepAlive(Deadline))
        {
            await keepAlive.RequestStream.WriteAsync(new V3.LeaseKeepAliveRequest { ID = grant.ID });
            Assert.IsTrue(await keepAlive.ResponseStream.MoveNext());
            Assert.AreEqual(30, keepAlive.ResponseStream.Current.TTL);
            await keepAlive.RequestStream.CompleteAsync();
        }
        var ttl = await client.LeaseTimeToLiveAsync(new V3.LeaseTimeToLiveRequest { ID = grant.ID, Keys = true }, Deadline);
        Assert.AreEqual(30, ttl.GrantedTTL);
        Assert.AreEqual("/grpc/lease", ttl.Keys.Single().ToStringUtf8());
        await client.LeaseRevokeAsync(new V3.LeaseRevokeRequest { ID = grant.ID }, Deadline);
        Assert.AreEqual(0, (await Kv.RangeAsync(new V3.RangeRequest { Key = Bs("/grpc/lease") }, Deadline)).Kvs.Count);
    }

    [TestMethod]
    public async Task StatusMemberListAndSnapshot()
    {
        var maintenance = new V3.Maintenance.MaintenanceClient(s_server.Channel);
        var status = await maintenance.StatusAsync(new V3.StatusRequest(), Deadline);
        Assert.AreEqual(status.Header.MemberId, status.Leader);
        Assert.AreEqual(1UL, status.RaftTerm);
        Assert.IsTrue(status.RaftIndex >= status.RaftAppliedIndex && status.RaftAppliedIndex > 0 || status.RaftIndex == 0);

        var members = await new V3.Cluster.ClusterClient(s_server.Channel).MemberListAsync(new V3.MemberListRequest(), Deadline);
        Assert.AreEqual("http://" + s_server.Endpoint, members.Members.Single().ClientURLs.Single());
        Assert.AreEqual("default", members.Members.Single().Name);

        using var snapshot = maintenance.Snapshot(new V3.SnapshotRequest(), Deadline);
        var bytes = new MemoryStream();
        while (await snapshot.ResponseStream.MoveNext())
        {
            snapshot.ResponseStream.Current.Blob.WriteTo(bytes);
        }
        var all = bytes.ToArray();
        Assert.AreEqual(32, all.Length % 512);
        CollectionAssert.AreEqual(SHA256.HashData(all.AsSpan(0, all.Length - 32)), all[^32..]);
    }
}
