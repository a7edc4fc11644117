using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using Kube.Store.Raft.Core;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Raft.Transport;

/// <summary>
/// An <see cref="IRaftTransport"/> over gRPC (Grpc.Net.Client to peers; <see cref="RaftGrpcService"/> on this member's peer URL).
/// </summary>
/// <remarks>
/// <para>Each peer has a bounded queue (<see cref="PeerQueueLength"/>, default 4096) drained by one sender; when it is full,
/// new messages are dropped (Raft retransmits). The sender writes them, in order, to one long-lived client stream
/// (<c>/kube.raftpb.Raft/Stream</c>), batching whatever is queued into one frame of length-prefixed messages; a write failing or taking over <see cref="MessageTimeout"/> (default 5 s) ends the stream,
/// drops what is queued and reconnects after 100 ms (the core's heartbeats and probes recover). <c>/kube.raftpb.Raft/Send</c>
/// (one unary call per message) is also served.</para>
/// <para>A snapshot goes on <c>/kube.raftpb.Raft/Snapshot</c>, a client stream: the first frame is the encoded message, then the
/// data in <see cref="ChunkBytes"/> frames (default 1 MiB), with a 5-minute deadline. The returned task completes once the peer has
/// received it all, so the shell can report the snapshot as delivered.</para>
/// </remarks>
internal sealed class GrpcRaftTransport : IRaftTransport, IAsyncDisposable
{
    internal static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    internal static readonly Method<byte[], byte[]> SendMethod = new(MethodType.Unary, "kube.raftpb.Raft", "Send", Bytes, Bytes);

    internal static readonly Method<byte[], byte[]> SnapshotMethod = new(MethodType.ClientStreaming, "kube.raftpb.Raft", "Snapshot", Bytes, Bytes);

    internal static readonly Method<byte[], byte[]> StreamMethod = new(MethodType.ClientStreaming, "kube.raftpb.Raft", "Stream", Bytes, Bytes);

    internal static readonly Method<byte[], byte[]> MembersMethod = new(MethodType.Unary, "kube.raftpb.Raft", "Members", Bytes, Bytes);

    /// <summary>A learner promotion forwarded to the leader (etcd forwards it over the peer URL too): request = the member id (u64 LE), response = empty or one error code byte.</summary>
    internal static readonly Method<byte[], byte[]> PromoteMethod = new(MethodType.Unary, "kube.raftpb.Raft", "Promote", Bytes, Bytes);

    private readonly ConcurrentDictionary<ulong, Action<RaftMessage>> _local = new();
    private readonly ConcurrentDictionary<ulong, Peer> _peers = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;

    private readonly TimeProvider _time;

    public GrpcRaftTransport(TimeProvider time, ILogger<GrpcRaftTransport> logger)
    {
        _time = time;
        _logger = logger;
    }

    public int PeerQueueLength { get; init; } = 4096;

    /// <summary>Outbound messages dropped because a peer's queue was full, or queued when its stream broke (Raft retransmits them).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    private long _dropped;

    public int ChunkBytes { get; init; } = 1024 * 1024;

    public TimeSpan MessageTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Adds or replaces the peer URL (e.g. <c>http://127.0.0.1:2380</c>) of member <paramref name="memberId"/>.</summary>
    public void AddPeer(ulong memberId, Uri url)
    {
        var peer = new Peer(this, memberId, url);
        if (_peers.TryGetValue(memberId, out var old))
        {
            old.Stop();
        }
        _peers[memberId] = peer;
    }

    /// <summary>Stops sending to member <paramref name="memberId"/> (it was removed).</summary>
    public void RemovePeer(ulong memberId)
    {
        if (_peers.TryRemove(memberId, out var old))
        {
            old.Stop();
        }
    }

    /// <summary>The local member's encoded membership, served on <c>/kube.raftpb.Raft/Members</c> to members joining an existing cluster; null until the member is open.</summary>
    public Func<byte[]>? MembersProvider { get; set; }

    /// <summary>
    /// Asks the members at <paramref name="peerUrls"/>, in turn, for their encoded membership (etcd's GetClusterFromRemotePeers):
    /// the first answer wins. Each call has <see cref="MessageTimeout"/>; null when none answered.
    /// </summary>
    public async Task<byte[]?> FetchMembersAsync(IEnumerable<Uri> peerUrls, CancellationToken cancellationToken)
    {
        foreach (var url in peerUrls)
        {
            try
            {
                using var channel = GrpcChannel.ForAddress(url);
                return await channel.CreateCallInvoker().AsyncUnaryCall(MembersMethod, null,
                    new CallOptions(deadline: _time.GetUtcNow().UtcDateTime + MessageTimeout, cancellationToken: cancellationToken), []).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                _logger.LogInformation("Could not get the cluster's members from {Peer}: {Status}", url, ex.Status.Detail);
            }
        }
        return null;
    }

    /// <summary>Runs a learner promotion forwarded by another member (set by the local store); null until the member is open.</summary>
    public Func<ulong, CancellationToken, Task<StoreErrorCode?>>? PromoteHandler { get; set; }

    /// <summary>
    /// Whether member <paramref name="memberId"/> answers on its peer URL within <paramref name="timeout"/> (a unary call): what the
    /// membership checks use for etcd's "connected" peers.
    /// </summary>
    public async Task<bool> ProbeAsync(ulong memberId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!_peers.TryGetValue(memberId, out var peer))
        {
            return false;
        }
        try
        {
            await peer.Invoker.AsyncUnaryCall(MembersMethod, null,
                new CallOptions(deadline: _time.GetUtcNow().UtcDateTime + timeout, cancellationToken: cancellationToken), []).ResponseAsync.ConfigureAwait(false);
            return true;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    /// <summary>Asks the leader <paramref name="leaderId"/> to promote learner <paramref name="memberId"/>; returns its error, or null once applied.</summary>
    public async Task<StoreErrorCode?> ForwardPromoteAsync(ulong leaderId, ulong memberId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!_peers.TryGetValue(leaderId, out var peer))
        {
            throw new StoreException(StoreErrorCode.NoLeader);
        }
        try
        {
            var answer = await peer.Invoker.AsyncUnaryCall(PromoteMethod, null,
                new CallOptions(deadline: _time.GetUtcNow().UtcDateTime + timeout, cancellationToken: cancellationToken),
                BitConverter.GetBytes(memberId)).ResponseAsync.ConfigureAwait(false);
            return answer.Length == 0 ? null : (StoreErrorCode)answer[0];
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded)
        {
            throw new StoreException(StoreErrorCode.Timeout);
        }
        catch (RpcException)
        {
            throw new StoreException(StoreErrorCode.LeaderChanged);
        }
    }

    /// <summary>etcd's answer to a member that was removed from the cluster and still talks to it.</summary>
    public const string RemovedMessage = "the member has been permanently removed from the cluster";

    /// <summary>Whether a member id was removed from the cluster (set by the local store): its messages are refused with <see cref="RemovedMessage"/>.</summary>
    public Func<ulong, bool>? IsRemoved { get; set; }

    /// <summary>Raised when a peer refuses this member's messages because it was removed from the cluster.</summary>
    public event Action? RemovedByPeer;

    public void Register(ulong memberId, Action<RaftMessage> inbound) => _local[memberId] = inbound;

    public void Unregister(ulong memberId) => _local.TryRemove(memberId, out _);

    /// <summary>Called by <see cref="RaftGrpcService"/>: hands a received message to the local member, if it is running.</summary>
    internal bool Deliver(RaftMessage message)
    {
        if (_local.TryGetValue(message.To, out var inbound))
        {
            inbound(message);
            return true;
        }
        return false;
    }

    public ValueTask SendAsync(RaftMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_peers.TryGetValue(message.To, out var peer))
        {
            return message.Snapshot is null ? ValueTask.CompletedTask
                : ValueTask.FromException(new IOException($"No peer URL for member {message.To:x}."));
        }
        if (message.Snapshot is not null)
        {
            return new ValueTask(peer.SendSnapshotAsync(message, _stopping.Token));
        }
        if (!peer.Queue.Writer.TryWrite(message))
        {
            var dropped = Interlocked.Increment(ref _dropped);
            if (dropped == 1 || dropped % 1000 == 0)
            {
                _logger.LogWarning("Dropped {Count} outbound Raft messages so far: the queue to member {Member:x} ({Length}) was full", dropped, message.To, PeerQueueLength);
            }
        }
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var p in _peers.Values)
        {
            p.Stop();
        }
        _stopping.Dispose();
    }

    private sealed class Peer
    {
        private readonly GrpcRaftTransport _owner;
        private readonly ulong _id;
        private readonly GrpcChannel _channel;
        private readonly CallInvoker _invoker;

        public CallInvoker Invoker => _invoker;

        public Peer(GrpcRaftTransport owner, ulong id, Uri url)
        {
            _owner = owner;
            _id = id;
            _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { MaxSendMessageSize = null, MaxReceiveMessageSize = null });
            _invoker = _channel.CreateCallInvoker();
            Queue = Channel.CreateBounded<RaftMessage>(new BoundedChannelOptions(owner.PeerQueueLength)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.DropWrite,
            });
            _ = Task.Run(RunAsync);
        }

        public Channel<RaftMessage> Queue { get; }

        /// <summary>
        /// Sends the queue over one long-lived client stream (<c>/kube.raftpb.Raft/Stream</c>), in order and without waiting for a
        /// round trip per message. A write that fails or takes longer than <see cref="MessageTimeout"/> ends the stream; the
        /// messages queued meanwhile are dropped (Raft retransmits) and a new stream is opened after 100 ms.
        /// </summary>
        private async Task RunAsync()
        {
            var token = _owner._stopping.Token;
            while (!token.IsCancellationRequested)
            {
                using var writeTimeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                AsyncClientStreamingCall<byte[], byte[]>? call = null;
                try
                {
                    call = _invoker.AsyncClientStreamingCall(StreamMethod, null, new CallOptions(cancellationToken: writeTimeout.Token));
                    var batch = new List<RaftMessage>();
                    while (await Queue.Reader.WaitToReadAsync(token).ConfigureAwait(false))
                    {
                        // One frame carries every message queued by now (from 512 KiB on, no more are added; the server accepts 2 MiB), each prefixed with its length.
                        batch.Clear();
                        var bytes = 0;
                        while (bytes < 512 * 1024 && Queue.Reader.TryRead(out var m))
                        {
                            batch.Add(m);
                            bytes += RaftMessageCodec.Size(m);
                        }
                        var frame = RaftMessageCodec.EncodeFrame(batch);
                        writeTimeout.CancelAfter(_owner.MessageTimeout);
                        await call.RequestStream.WriteAsync(frame, writeTimeout.Token).ConfigureAwait(false);
                        if (!writeTimeout.TryReset())
                        {
                            throw new TimeoutException($"A write to member {_id:x} took longer than {_owner.MessageTimeout}.");
                        }
                    }
                    return;
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or OperationCanceledException or TimeoutException)
                {
                    var queued = Queue.Reader.Count;
                    _owner._logger.Log(queued > 0 ? LogLevel.Information : LogLevel.Debug, "The Raft stream to member {Member:x} broke ({Error}); reconnecting, dropping {Queued} queued messages",
                        _id, ex.Message, queued);
                    Interlocked.Add(ref _owner._dropped, queued);
                    if (IsRemovedAnswer(ex, call))
                    {
                        _owner._logger.LogWarning("Member {Member:x} says: {Message}", _id, RemovedMessage);
                        _owner.RemovedByPeer?.Invoke();
                    }
                }
                finally
                {
                    call?.Dispose();
                }
                while (Queue.Reader.TryRead(out _))
                {
                }
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _owner._time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        private static bool IsRemovedAnswer(Exception ex, AsyncClientStreamingCall<byte[], byte[]>? call)
        {
            if (ex is RpcException { Status.Detail: RemovedMessage })
            {
                return true;
            }
            try
            {
                return call is not null && call.GetStatus().Detail == RemovedMessage;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        public async Task SendSnapshotAsync(RaftMessage m, CancellationToken token)
        {
            using var call = _invoker.AsyncClientStreamingCall(SnapshotMethod, null,
                new CallOptions(deadline: _owner._time.GetUtcNow().UtcDateTime + TimeSpan.FromMinutes(5), cancellationToken: token));
            await call.RequestStream.WriteAsync(RaftMessageCodec.Encode(m), token).ConfigureAwait(false);
            var data = m.Snapshot!.Data;
            for (var offset = 0; offset < data.Length; offset += _owner.ChunkBytes)
            {
                await call.RequestStream.WriteAsync(data.AsSpan(offset, Math.Min(_owner.ChunkBytes, data.Length - offset)).ToArray(), token).ConfigureAwait(false);
            }
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await call.ResponseAsync.ConfigureAwait(false);
        }

        public void Stop()
        {
            Queue.Writer.TryComplete();
            _channel.Dispose();
        }
    }
}
