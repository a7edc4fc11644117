using System.Buffers.Binary;
using System.Security.Cryptography;
using Kube.Store.Mvcc;
using Kube.Store.Wal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Store.Etcd.Snapshot;

/// <summary>
/// Disaster recovery: rebuilds a store member's data directory from a file saved with <c>etcdctl snapshot save</c> against a
/// Kube.Store member.
/// </summary>
/// <remarks>
/// <para>The file is our own state format inside etcd's framing (see <c>EtcdMaintenanceService.Snapshot</c>): the state, zero
/// padding to a multiple of 512 bytes, then the 32-byte SHA-256 of everything before it. Restore checks the framing and
/// the SHA-256, parses the whole state (the padding must be zeros), and only then writes anything: a store snapshot in
/// <c>DATA_DIR/snap</c> at log index 1, term 1. Opening the directory (<c>kube-host store --data-dir DIR</c> or
/// <see cref="EmbeddedStore.OpenAsync"/>) then starts at the snapshot's revision with every key, version history after the
/// compacted revision, and lease (lease TTLs restart, as in etcd).</para>
/// <para>As <c>etcdctl snapshot restore</c>, the target must be a new or empty directory. The member name is not stored in
/// the directory: start the member with the name it should have (the member and cluster ids derive from it).</para>
/// </remarks>
public static partial class SnapshotRestore
{
    /// <summary>SHA-256 trailer length.</summary>
    private const int HashLength = 32;

    /// <summary>etcd's bbolt meta-page magic (little-endian u32 at offset 16 of page 0).</summary>
    private const uint BoltMagic = 0xED0CDAED;

    /// <summary>The message for a real etcd (bbolt) snapshot.</summary>
    public const string BoltSnapshotMessage =
        "this file is an etcd (bbolt) snapshot; kube-host restores snapshots saved from a kube-host store";

    /// <summary>Restores <paramref name="snapshotPath"/> into <paramref name="dataDir"/>.</summary>
    /// <param name="progress">Receives a line per step (verifying, parsing, writing) for long restores; optional.</param>
    /// <exception cref="FileNotFoundException">The snapshot file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a Kube.Store snapshot: bad framing, SHA-256 mismatch (corrupt or truncated),
    /// a real etcd bbolt snapshot (<see cref="BoltSnapshotMessage"/>), or unreadable content.</exception>
    /// <exception cref="IOException">The data directory exists and is not empty.</exception>
    public static Task<SnapshotRestoreResult> RestoreAsync(string snapshotPath, string dataDir, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default) =>
        RestoreAsync(snapshotPath, dataDir, new SnapshotRestoreOptions(), progress, cancellationToken);

    /// <summary>Restores <paramref name="snapshotPath"/> into <paramref name="dataDir"/> as the member <paramref name="options"/> describe.</summary>
    /// <exception cref="ArgumentException">The options disagree (the name is not in the initial cluster, or its peer URLs differ from the advertised ones).</exception>
    public static async Task<SnapshotRestoreResult> RestoreAsync(string snapshotPath, string dataDir, SnapshotRestoreOptions options, IProgress<string>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(snapshotPath);
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        ArgumentNullException.ThrowIfNull(options);
        var cluster = NewCluster(options);
        if (!File.Exists(snapshotPath))
        {
            throw new FileNotFoundException($"snapshot file '{snapshotPath}' does not exist", snapshotPath);
        }
        var target = Path.GetFullPath(dataDir);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new IOException($"data dir '{target}' is not empty; restore into a new or empty directory");
        }
        if (File.Exists(target))
        {
            throw new IOException($"data dir '{target}' is a file; restore into a new or empty directory");
        }

        await using var file = new FileStream(snapshotPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        var length = file.Length;
        progress?.Report($"verifying {snapshotPath} ({length:N0} bytes)");
        var head = new byte[Math.Min(length, 4096)];
        await file.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
        if (head.Length >= 24 && BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(16)) == BoltMagic)
        {
            throw new InvalidDataException(BoltSnapshotMessage);
        }
        // As etcdctl: a file whose size is a multiple of 512 plus 32 carries a SHA-256 trailer; --skip-hash-check reads it without
        // verifying (and reads a file without a trailer whole).
        var hasHash = length >= 512 + HashLength && (length - HashLength) % 512 == 0;
        if (!hasHash && !options.SkipHashCheck)
        {
            throw new InvalidDataException(
                $"snapshot missing hash but --skip-hash-check=false: '{snapshotPath}' is not a snapshot saved by 'etcdctl snapshot save' ({length} bytes; expected a multiple of 512 plus a 32-byte SHA-256 trailer)");
        }
        var payloadLength = hasHash ? length - HashLength : length;
        if (hasHash && !options.SkipHashCheck)
        {
            file.Position = 0;
            var expected = await HashPayloadAsync(file, payloadLength, progress, cancellationToken).ConfigureAwait(false);
            var trailer = new byte[HashLength];
            await file.ReadExactlyAsync(trailer, cancellationToken).ConfigureAwait(false);
            if (!CryptographicOperations.FixedTimeEquals(expected, trailer))
            {
                throw new InvalidDataException($"'{snapshotPath}' is corrupt: its SHA-256 does not match the trailer (damaged or truncated file)");
            }
        }

        progress?.Report("reading the store state");
        file.Position = 0;
        using var state = new MvccState(TimeProvider.System, clusterId: 1, memberId: 1, watchBufferSize: 1);
        long parsed;
        try
        {
            using var payload = new BoundedReadStream(file, payloadLength);
            state.RestoreSnapshot(payload, index: 1, term: 1);
            parsed = payload.Position;
            var rest = new byte[64 * 1024];
            int n;
            while ((n = await payload.ReadAsync(rest, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (rest.AsSpan(0, n).ContainsAnyExcept((byte)0))
                {
                    throw new InvalidDataException("data after the state is not zero padding");
                }
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or OverflowException or ArgumentException or OutOfMemoryException)
        {
            throw new InvalidDataException(
                $"'{snapshotPath}' has a valid SHA-256 but is not a kube-host store snapshot ({ex.Message})", ex);
        }

        var image = state.Capture();
        progress?.Report($"writing the member's data dir {target} (revision {image.Revision}, {parsed:N0} bytes of state)");
        var created = !Directory.Exists(target);
        try
        {
            Directory.CreateDirectory(target);
            if (cluster is null)
            {
                var snapshots = new SnapshotStore(Path.Combine(target, "snap"), NullLogger.Instance);
                await Task.Run(() => snapshots.Save(1, 1, image.WriteTo), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                progress?.Report($"member {options.Name} ({cluster.Self:x}) of new cluster {cluster.Membership.ClusterId:x} with {cluster.Membership.Members.Count} members");
                await Task.Run(() => WriteReplicatedMember(target, state, cluster), cancellationToken).ConfigureAwait(false);
            }
            DirectorySync.Flush(target);
        }
        catch
        {
            // Leave no half-built member behind.
            TryDelete(Path.Combine(target, "snap"));
            TryDelete(Path.Combine(target, "raft"));
            TryDelete(Path.Combine(target, "member"));
            if (created)
            {
                TryDelete(target);
            }
            throw;
        }
        var keys = state.Range(new RangeRequest([0]) { RangeEnd = [0], CountOnly = true }).Count;
        return new SnapshotRestoreResult(target, image.Revision, state.CompactRevision, keys)
        {
            MemberId = cluster?.Self ?? 0,
            ClusterId = cluster?.Membership.ClusterId ?? 0,
        };
    }

    private static async Task<byte[]> HashPayloadAsync(Stream file, long payloadLength, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        var remaining = payloadLength;
        var nextReport = 256L << 20;
        while (remaining > 0)
        {
            var n = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }
            sha.AppendData(buffer, 0, n);
            remaining -= n;
            if (payloadLength - remaining >= nextReport)
            {
                progress?.Report($"verified {(payloadLength - remaining) >> 20} MiB of {payloadLength >> 20} MiB");
                nextReport += 256L << 20;
            }
        }
        return sha.GetHashAndReset();
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>A read-only view of the first <c>length</c> bytes of a stream, so parsing never reads the SHA-256 trailer.</summary>
    private sealed class BoundedReadStream(Stream inner, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, length - _position)]);
            _position += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - _position)], cancellationToken).ConfigureAwait(false);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
