using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Store.Etcd;

/// <summary>etcd's Maintenance service: Status, Alarm (none are ever raised), Defragment (a no-op), Snapshot.</summary>
/// <remarks>
/// Snapshot streams the store's own state format framed as etcd frames its snapshot files: the payload padded with zeros
/// to a multiple of 512 bytes, then the SHA-256 of the padded payload (so <c>etcdctl snapshot save</c> accepts it; the
/// content is not a bbolt database, so <c>etcdctl snapshot restore</c> cannot read it).
/// </remarks>
internal sealed class EtcdMaintenanceService(IKeyValueStore store) : V3.Maintenance.MaintenanceBase
{
    /// <summary>The etcd API version this member reports.</summary>
    public const string Version = "3.4.0";

    private const int ChunkSize = 32 * 1024;

    public override async Task<V3.StatusResponse> Status(V3.StatusRequest request, ServerCallContext context)
    {
        try
        {
            var s = await store.StatusAsync(context.CancellationToken).ConfigureAwait(false);
            return new V3.StatusResponse
            {
                Header = EtcdMapping.ToPb(s.Header),
                Version = Version,
                // The size of the state as a snapshot image: its entries plus the image's fixed 24-byte header, so never 0 (etcd's
                // bbolt file never is, and etcdctl's JSON leaves zero fields out).
                DbSize = s.DbSize + 24,
                DbSizeInUse = s.DbSize + 24,
                Leader = s.Leader,
                RaftIndex = s.RaftIndex,
                RaftTerm = s.Header.RaftTerm,
                RaftAppliedIndex = s.RaftAppliedIndex,
                IsLearner = s.IsLearner,
            };
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }

    public override async Task<V3.AlarmResponse> Alarm(V3.AlarmRequest request, ServerCallContext context) =>
        new() { Header = await HeaderAsync(context).ConfigureAwait(false) };

    public override async Task<V3.DefragmentResponse> Defragment(V3.DefragmentRequest request, ServerCallContext context) =>
        new() { Header = await HeaderAsync(context).ConfigureAwait(false) };

    public override async Task Snapshot(V3.SnapshotRequest request, IServerStreamWriter<V3.SnapshotResponse> responseStream, ServerCallContext context)
    {
        if (store is not ISnapshotSource source)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "snapshot is not supported by this store"));
        }
        var header = await HeaderAsync(context).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        try
        {
            await source.WriteSnapshotAsync(buffer, context.CancellationToken).ConfigureAwait(false);
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
        var padding = (int)((512 - buffer.Length % 512) % 512);
        buffer.Write(new byte[padding]);
        var payload = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        var hash = SHA256.HashData(payload.Span);
        var total = payload.Length + hash.Length;
        var sent = 0;
        while (sent < payload.Length)
        {
            var n = Math.Min(ChunkSize, payload.Length - sent);
            sent += n;
            await responseStream.WriteAsync(new V3.SnapshotResponse
            {
                Header = header, RemainingBytes = (ulong)(total - sent), Blob = ByteString.CopyFrom(payload.Span.Slice(sent - n, n)),
            }, context.CancellationToken).ConfigureAwait(false);
        }
        await responseStream.WriteAsync(new V3.SnapshotResponse { Header = header, RemainingBytes = 0, Blob = ByteString.CopyFrom(hash) },
            context.CancellationToken).ConfigureAwait(false);
    }

    private async Task<V3.ResponseHeader> HeaderAsync(ServerCallContext context)
    {
        try
        {
            return EtcdMapping.ToPb((await store.StatusAsync(context.CancellationToken).ConfigureAwait(false)).Header);
        }
        catch (StoreException ex)
        {
            throw EtcdErrors.ToRpc(ex);
        }
    }
}
