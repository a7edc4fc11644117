using System.Net;
using System.Text;
using Kube.Store.Raft;
using Kube.Store.Raft.Core;
using Kube.Store.Raft.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Store.Tests.Raft;

/// <summary>Three members, each with its own Kestrel peer endpoint on loopback (cleartext HTTP/2), replicating over <see cref="GrpcRaftTransport"/>.</summary>
[TestClass]
public sealed class GrpcRaftTransportTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Codec_RoundTripsEveryField()
    {
        var m = new RaftMessage
        {
            Type = RaftMessageType.App, To = 3, From = ulong.MaxValue, Term = 7, LogTerm = 6, Index = 100, Commit = 99, Reject = true, RejectHint = 42,
            Entries = [new RaftEntry(7, 101, RaftEntryType.Normal, [1, 2, 3]), new RaftEntry(7, 102, RaftEntryType.ConfChange, [])],
            Snapshot = new RaftSnapshot(90, 5, new ConfState([1, 2, 3], [4]), []),
            Context = [9, 9],
        };
        var back = RaftMessageCodec.Decode(RaftMessageCodec.Encode(m), [5, 6, 7]);
        Assert.AreEqual(m.ToString(), back.ToString());
        Assert.AreEqual(m.RejectHint, back.RejectHint);
        CollectionAssert.AreEqual(m.Entries[0].Data, back.Entries[0].Data);
        Assert.AreEqual(RaftEntryType.ConfChange, back.Entries[1].Type);
        CollectionAssert.AreEqual(new ulong[] { 4 }, back.Snapshot!.ConfState.Learners);
        CollectionAssert.AreEqual(new byte[] { 5, 6, 7 }, back.Snapshot.Data);
        CollectionAssert.AreEqual(m.Context, back.Context);
    }

    [TestMethod]
    public void Codec_Frame_CarriesSeveralMessagesInOrder_AndRejectsATruncatedOne()
    {
        RaftMessage[] sent =
        [
            new() { Type = RaftMessageType.App, To = 2, From = 1, Term = 3, Index = 10, Entries = [new RaftEntry(3, 11, RaftEntryType.Normal, new byte[300])], Commit = 9 },
            new() { Type = RaftMessageType.AppResp, To = 1, From = 2, Term = 3, Index = 11 },
            new() { Type = RaftMessageType.Heartbeat, To = 3, From = 1, Term = 3, Context = [1] },
        ];
        var frame = RaftMessageCodec.EncodeFrame(sent);
        var received = new List<RaftMessage>();
        RaftMessageCodec.DecodeFrame(frame, received.Add);
        CollectionAssert.AreEqual(sent.Select(m => m.ToString()).ToArray(), received.Select(m => m.ToString()).ToArray());
        CollectionAssert.AreEqual(sent[0].Entries[0].Data, received[0].Entries[0].Data);
        Assert.ThrowsExactly<InvalidDataException>(() => RaftMessageCodec.DecodeFrame(frame.AsSpan(0, frame.Length - 1).ToArray(), _ => { }));
    }

    [TestMethod]
    public void Codec_ReadsPlainProtobuf_InAnyFieldOrder_WithPackedIds_AndUnknownFields()
    {
        using var buffer = new MemoryStream();
        var o = new Google.Protobuf.CodedOutputStream(buffer);
        o.WriteTag(99, Google.Protobuf.WireFormat.WireType.Fixed64); o.WriteFixed64(1); // unknown field: skipped
        o.WriteTag(4, Google.Protobuf.WireFormat.WireType.Varint); o.WriteUInt64(5);
        o.WriteTag(1, Google.Protobuf.WireFormat.WireType.Varint); o.WriteUInt32((uint)RaftMessageType.Snap);
        using (var snap = new MemoryStream())
        {
            var so = new Google.Protobuf.CodedOutputStream(snap);
            so.WriteTag(1, Google.Protobuf.WireFormat.WireType.Varint); so.WriteUInt64(70);
            so.WriteTag(3, Google.Protobuf.WireFormat.WireType.LengthDelimited); so.WriteBytes(Google.Protobuf.ByteString.CopyFrom(1, 2, 0x82, 0x01));
            so.Flush();
            o.WriteTag(11, Google.Protobuf.WireFormat.WireType.LengthDelimited); o.WriteBytes(Google.Protobuf.ByteString.CopyFrom(snap.ToArray()));
        }
        o.Flush();
        var m = RaftMessageCodec.Decode(buffer.ToArray(), [8]);
        Assert.AreEqual(RaftMessageType.Snap, m.Type);
        Assert.AreEqual(5UL, m.Term);
        Assert.AreEqual(70UL, m.Snapshot!.Index);
        CollectionAssert.AreEqual(new ulong[] { 1, 2, 130 }, m.Snapshot.ConfState.Voters);
    }

    [TestMethod]
    public async Task ThreeMembersOverGrpc_Replicate_FailOver_AndInstallAChunkedSnapshot()
    {
        var root = Path.Combine(Path.GetTempPath(), "kube-raft-grpc-" + Guid.NewGuid().ToString("N"));
        string[] names = ["g1", "g2", "g3"];
        var ids = names.ToDictionary(n => n, n => EmbeddedStore.StableId("member:" + n));
        var apps = new Dictionary<string, WebApplication>();
        var transports = new Dictionary<string, GrpcRaftTransport>();
        var stores = new Dictionary<string, EmbeddedStore>();
        var nodes = new Dictionary<string, MultiRaftNode>();
        try
        {
            foreach (var n in names)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.Logging.ClearProviders();
                builder.WebHost.ConfigureKestrel(k => k.Listen(new IPEndPoint(IPAddress.Loopback, 0), l => l.Protocols = HttpProtocols.Http2));
                var transport = new GrpcRaftTransport(TimeProvider.System, NullLogger<GrpcRaftTransport>.Instance) { ChunkBytes = 256 };
                builder.Services.AddGrpc();
                builder.Services.AddSingleton(transport);
                var app = builder.Build();
                app.MapGrpcService<RaftGrpcService>();
                await app.StartAsync(TestContext.CancellationToken);
                apps[n] = app;
                transports[n] = transport;
            }
            foreach (var n in names)
            {
                foreach (var peer in names.Where(p => p != n))
                {
                    var address = apps[peer].Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
                    transports[n].AddPeer(ids[peer], new Uri(address));
                }
            }
            async Task Start(string n) =>
                stores[n] = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = Path.Combine(root, n, "store"), MemberName = n }, (id, sm) =>
                    nodes[n] = MultiRaftNode.Open(new MultiRaftOptions
                    {
                        MemberId = id,
                        InitialMembers = [.. ids.Values],
                        DataDir = Path.Combine(root, n),
                        TickInterval = TimeSpan.FromMilliseconds(50),
                        SnapshotCount = 20,
                        CatchUpEntries = 5,
                    }, sm, transports[n], TimeProvider.System, NullLoggerFactory.Instance));
            async Task<string> Leader()
            {
                var start = TimeProvider.System.GetTimestamp();
                while (true)
                {
                    var live = stores.Keys.ToArray();
                    var leaders = live.Where(n => nodes[n].Role == RaftRole.Leader).ToArray();
                    if (leaders.Length == 1 && live.All(n => nodes[n].LeaderId == ids[leaders[0]]))
                    {
                        return leaders[0];
                    }
                    Assert.IsLessThan(Deadline, TimeProvider.System.GetElapsedTime(start), "no leader");
                    await Task.Delay(10, TestContext.CancellationToken);
                }
            }
            async Task Seen(string n, string key, string value)
            {
                var start = TimeProvider.System.GetTimestamp();
                while (true)
                {
                    var r = await stores[n].RangeAsync(new RangeRequest(B(key)), TestContext.CancellationToken);
                    if (r.Kvs.Count == 1 && Encoding.UTF8.GetString(r.Kvs[0].Value) == value)
                    {
                        return;
                    }
                    Assert.IsLessThan(Deadline, TimeProvider.System.GetElapsedTime(start), $"{n} did not see {key}={value}");
                    await Task.Delay(10, TestContext.CancellationToken);
                }
            }

            foreach (var n in names)
            {
                await Start(n);
            }
            var leader = await Leader();
            await stores[leader].PutAsync(new PutRequest(B("k"), B("v")), TestContext.CancellationToken);
            foreach (var n in names)
            {
                await Seen(n, "k", "v");
            }

            // Kill the leader: the other two elect a new one and accept writes.
            await stores[leader].DisposeAsync();
            stores.Remove(leader);
            var next = await Leader();
            Assert.AreNotEqual(leader, next);
            for (var i = 0; i < 60; i++)
            {
                await stores[next].PutAsync(new PutRequest(B($"x{i}"), B($"{i}")), TestContext.CancellationToken);
            }

            // The old leader is far behind the compacted log: it catches up by a snapshot streamed in 256-byte chunks.
            await Start(leader);
            await Seen(leader, "x59", "59");
            await Seen(leader, "k", "v");
            Assert.IsGreaterThanOrEqualTo(1, nodes[leader].SnapshotsInstalled);
        }
        finally
        {
            foreach (var s in stores.Values)
            {
                await s.DisposeAsync();
            }
            foreach (var t in transports.Values)
            {
                await t.DisposeAsync();
            }
            foreach (var a in apps.Values)
            {
                await a.StopAsync(TestContext.CancellationToken);
                await a.DisposeAsync();
            }
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
}
