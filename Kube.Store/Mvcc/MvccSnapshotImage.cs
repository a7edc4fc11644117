using System.Buffers.Binary;

namespace Kube.Store.Mvcc;

/// <summary>
/// A captured, immutable view of the MVCC state, written in the snapshot format read by <see cref="MvccState.RestoreSnapshot(BinaryReader, ulong, ulong)"/>:
/// revision, compact revision, then per key (in key order) its versions [main, sub, live?, value, create, version, lease],
/// then the leases [id, ttl, granted ttl]. Integers are little-endian; byte strings are an int32 length and the bytes.
/// </summary>
/// <remarks>
/// Each key's versions are a <see cref="KeyHistory.View"/>: the history's own array, which later writes never change (see
/// <see cref="KeyHistory"/>), so capturing copies one reference per key and <see cref="WriteTo"/> may run on another thread
/// while entries keep being applied.
/// </remarks>
internal sealed class MvccSnapshotImage(long revision, long compactRevision, (byte[] Key, ReadOnlyMemory<KeyHistory.Version> Versions)[] keys,
    (long Id, long Ttl, long GrantedTtl)[] leases)
{
    private const int ChunkBytes = 64 * 1024;

    public long Revision { get; } = revision;

    public void WriteTo(Stream destination)
    {
        var writer = new ChunkWriter(destination);
        writer.Int64(Revision);
        writer.Int64(compactRevision);
        writer.Int32(keys.Length);
        foreach (var (key, versions) in keys)
        {
            writer.Bytes(key);
            writer.Int32(versions.Length);
            foreach (var v in versions.Span)
            {
                writer.Int64(v.Main);
                writer.Int32(v.Sub);
                if (v.Kv is { } kv)
                {
                    writer.Byte(1);
                    writer.Bytes(kv.Value);
                    writer.Int64(kv.CreateRevision);
                    writer.Int64(kv.Version);
                    writer.Int64(kv.Lease);
                }
                else
                {
                    writer.Byte(0);
                }
            }
        }
        writer.Int32(leases.Length);
        foreach (var (id, ttl, granted) in leases)
        {
            writer.Int64(id);
            writer.Int64(ttl);
            writer.Int64(granted);
        }
        writer.Flush();
    }

    /// <summary>Fixed-width little-endian fields into a 64 KiB buffer, written to the stream whenever it fills.</summary>
    private sealed class ChunkWriter(Stream destination)
    {
        private readonly byte[] _buffer = new byte[ChunkBytes];
        private int _used;

        public void Byte(byte value) => Reserve(1)[0] = value;

        public void Int32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);

        public void Int64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);

        public void Bytes(byte[] value)
        {
            Int32(value.Length);
            if (value.Length > ChunkBytes / 2)
            {
                Flush();
                destination.Write(value);
                return;
            }
            value.CopyTo(Reserve(value.Length));
        }

        public void Flush()
        {
            destination.Write(_buffer, 0, _used);
            _used = 0;
        }

        private Span<byte> Reserve(int length)
        {
            if (_used + length > ChunkBytes)
            {
                Flush();
            }
            var span = _buffer.AsSpan(_used, length);
            _used += length;
            return span;
        }
    }
}
