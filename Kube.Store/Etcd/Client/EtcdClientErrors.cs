using System.Net.Sockets;
using Grpc.Core;

namespace Kube.Store.Etcd.Client;

/// <summary>
/// Maps etcd's gRPC errors back to <see cref="StoreException"/> codes by etcd's <em>exact</em> message text (as etcd's own
/// clients do), and tells which failures may be retried on another endpoint.
/// </summary>
internal static class EtcdClientErrors
{
    private static readonly Dictionary<string, StoreErrorCode> ByMessage = BuildMessages();

    private static Dictionary<string, StoreErrorCode> BuildMessages()
    {
        var map = new Dictionary<string, StoreErrorCode>(StringComparer.Ordinal);
        foreach (var code in Enum.GetValues<StoreErrorCode>())
        {
            map[StoreException.MessageFor(code)] = code;
        }
        // etcd's other spellings of the same conditions.
        map["etcdserver: request timed out, possibly due to previous leader failure"] = StoreErrorCode.Timeout;
        map["etcdserver: request timed out, possibly due to connection lost"] = StoreErrorCode.Timeout;
        map["etcdserver: request timed out, waiting for the applied index took too long"] = StoreErrorCode.Timeout;
        map["etcdserver: leader changed"] = StoreErrorCode.NoLeader;
        map["etcdserver: not leader"] = StoreErrorCode.NoLeader;
        map["etcdserver: too many requests"] = StoreErrorCode.Timeout;
        map["mvcc: required revision has been compacted"] = StoreErrorCode.Compacted;
        map["mvcc: required revision is a future revision"] = StoreErrorCode.FutureRevision;
        return map;
    }

    /// <summary>The store error for an etcd error message, if it is one of etcd's known messages.</summary>
    public static bool TryCode(string? message, out StoreErrorCode code) => ByMessage.TryGetValue(message ?? "", out code);

    /// <summary>
    /// The exception to surface for a failed call: <see cref="StoreException"/> for etcd's known errors (by message),
    /// <see cref="StoreErrorCode.Timeout"/> for an expired deadline or a connection that broke after the request was sent (the
    /// outcome is unknown), <see cref="StoreErrorCode.Stopped"/> when no endpoint could be reached, <see cref="OperationCanceledException"/> when the caller cancelled, and the <see cref="RpcException"/>
    /// itself for anything else (e.g. "etcdserver: too many operations in txn request").
    /// </summary>
    public static Exception Map(RpcException ex, CancellationToken cancellationToken)
    {
        if (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            return new OperationCanceledException(ex.Message, ex, cancellationToken);
        }
        if (TryCode(ex.Status.Detail, out var code))
        {
            return new StoreException(code);
        }
        if (ex.Status.Detail == "etcdserver: too large lease TTL")
        {
            return new ArgumentOutOfRangeException("ttlSeconds", ex.Status.Detail);
        }
        return ex.StatusCode switch
        {
            StatusCode.DeadlineExceeded => new StoreException(StoreErrorCode.Timeout),
            // Never sent (nothing reachable): Stopped. Sent, then the connection broke: the outcome is unknown, which is
            // what etcd's "request timed out" means.
            StatusCode.Unavailable => new StoreException(IsConnectFailure(ex.Status.DebugException) ? StoreErrorCode.Stopped : StoreErrorCode.Timeout),
            _ => ex,
        };
    }

    /// <summary>
    /// Whether the call should move to the next endpoint. Reads move on any <c>Unavailable</c>. Writes move only when the
    /// request cannot have been applied: the connection was never made, or etcd answered "no leader" (nothing was proposed).
    /// </summary>
    public static bool ShouldFailOver(RpcException ex, bool idempotent)
    {
        if (ex.StatusCode != StatusCode.Unavailable)
        {
            return false;
        }
        if (idempotent || ex.Status.Detail == StoreException.MessageFor(StoreErrorCode.NoLeader))
        {
            return true;
        }
        return IsConnectFailure(ex.Status.DebugException);
    }

    private static bool IsConnectFailure(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable
                or SocketError.TimedOut or SocketError.HostNotFound or SocketError.AddressNotAvailable })
            {
                return true;
            }
            if (e is TimeoutException or OperationCanceledException && ex is HttpRequestException)
            {
                return true; // the connect timeout (DialTimeout) expired
            }
        }
        return false;
    }
}
