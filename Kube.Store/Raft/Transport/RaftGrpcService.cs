using Grpc.Core;
using Microsoft.Extensions.Hosting;

namespace Kube.Store.Raft.Transport;

/// <summary>
/// The peer endpoint (<c>kube.raftpb.Raft</c>): <c>Send</c> takes one encoded message; <c>Snapshot</c> takes the encoded message
/// then the snapshot data in chunks, reassembles it and delivers one message. Map it with <c>MapGrpcService&lt;RaftGrpcService&gt;()</c>
/// and register the member's <see cref="GrpcRaftTransport"/> as a singleton.
/// </summary>
[BindServiceMethod(typeof(RaftGrpcService), nameof(BindService))]
// Not sealed: Grpc.AspNetCore binds a handler only to a virtual method declared on the bind type.
internal class RaftGrpcService(GrpcRaftTransport transport, IHostApplicationLifetime? lifetime = null)
{
    private static readonly byte[] Empty = [];

    public static void BindService(ServiceBinderBase binder, RaftGrpcService? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(GrpcRaftTransport.SendMethod, service is null ? null : new UnaryServerMethod<byte[], byte[]>(service.Send));
        binder.AddMethod(GrpcRaftTransport.StreamMethod, service is null ? null : new ClientStreamingServerMethod<byte[], byte[]>(service.Stream));
        binder.AddMethod(GrpcRaftTransport.MembersMethod, service is null ? null : new UnaryServerMethod<byte[], byte[]>(service.Members));
        binder.AddMethod(GrpcRaftTransport.PromoteMethod, service is null ? null : new UnaryServerMethod<byte[], byte[]>(service.Promote));
        binder.AddMethod(GrpcRaftTransport.SnapshotMethod, service is null ? null : new ClientStreamingServerMethod<byte[], byte[]>(service.Snapshot));
    }

    public virtual Task<byte[]> Send(byte[] request, ServerCallContext context)
    {
        var message = RaftMessageCodec.Decode(request);
        RefuseRemoved(message.From);
        if (!transport.Deliver(message))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"Member {message.To:x} is not running here."));
        }
        return Task.FromResult(Empty);
    }

    /// <summary>
    /// A peer's message stream: each frame is a batch of length-prefixed encoded messages, delivered in order (dropped when the member is not running
    /// here). The stream ends when the host starts stopping, so that it does not hold up a graceful shutdown.
    /// </summary>
    public virtual async Task<byte[]> Stream(IAsyncStreamReader<byte[]> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime?.ApplicationStopping ?? CancellationToken.None);
        try
        {
            while (await requestStream.MoveNext(ending.Token).ConfigureAwait(false))
            {
                RaftMessageCodec.DecodeFrame(requestStream.Current, message =>
                {
                    RefuseRemoved(message.From);
                    transport.Deliver(message);
                });
            }
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
        }
        return Empty;
    }

    /// <summary>A member removed from the cluster is told so (etcd answers it 410 Gone), and stops.</summary>
    private void RefuseRemoved(ulong from)
    {
        if (transport.IsRemoved?.Invoke(from) == true)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, GrpcRaftTransport.RemovedMessage));
        }
    }

    public virtual Task<byte[]> Members(byte[] request, ServerCallContext context) =>
        transport.MembersProvider is { } provider ? Task.FromResult(provider())
            : throw new RpcException(new Status(StatusCode.Unavailable, "This member is not serving yet."));

    /// <summary>A learner promotion forwarded by a follower: runs it here (the leader) and answers empty, or one byte with the error code.</summary>
    public virtual async Task<byte[]> Promote(byte[] request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (request.Length != 8)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A promote request is the member id (8 bytes)."));
        }
        var handler = transport.PromoteHandler ?? throw new RpcException(new Status(StatusCode.Unavailable, "This member is not serving yet."));
        try
        {
            var error = await handler(BitConverter.ToUInt64(request), context.CancellationToken).ConfigureAwait(false);
            return error is { } code ? [(byte)code] : Empty;
        }
        catch (StoreException ex)
        {
            return [(byte)ex.Code];
        }
    }

    public virtual async Task<byte[]> Snapshot(IAsyncStreamReader<byte[]> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A snapshot stream must start with the message."));
        }
        var header = requestStream.Current;
        using var data = new MemoryStream();
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            data.Write(requestStream.Current);
        }
        var message = RaftMessageCodec.Decode(header, data.ToArray());
        if (!transport.Deliver(message))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"Member {message.To:x} is not running here."));
        }
        return Empty;
    }
}
