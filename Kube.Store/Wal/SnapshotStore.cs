using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Wal;

/// <summary>
/// State-machine snapshots in one directory, named <c>{term:x16}-{index:x16}.snap</c>. A file is
/// <c>[u32 magic "KSNP"][u32 format 1][u64 index][u64 term][state bytes][u32 CRC-32C of everything before]</c>.
/// Written to a temporary file, fsynced, then renamed, so a crash never leaves a half snapshot under the real name.
/// The newest two snapshots are kept.
/// </summary>
internal sealed class SnapshotStore(string directory, ILogger logger)
{
    private const uint Magic = 0x504E534B; // "KSNP"
    private const uint Format = 1;

    /// <summary>Writes a snapshot at <paramref name="index"/>; <paramref name="writeState"/> writes the state bytes. Returns the file size.</summary>
    public long Save(ulong index, ulong term, Action<Stream> writeState)
    {
        Directory.CreateDirectory(directory);
        var final = Path.Combine(directory, $"{term:x16}-{index:x16}.snap");
        var temp = final + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var crc = new CrcStream(file);
            Span<byte> header = stackalloc byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Format);
            BinaryPrimitives.WriteUInt64LittleEndian(header[8..], index);
            BinaryPrimitives.WriteUInt64LittleEndian(header[16..], term);
            crc.Write(header);
            writeState(crc);
            Span<byte> trailer = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc.Crc);
            file.Write(trailer);
            file.Flush(true);
        }
        File.Move(temp, final, overwrite: true);
        DirectorySync.Flush(directory);

        var all = List();
        for (var i = 0; i < all.Count - 2; i++)
        {
            File.Delete(all[i].Path);
        }
        return new FileInfo(final).Length;
    }

    /// <summary>The state bytes of the snapshot at <paramref name="index"/> just written by <see cref="Save"/> (read back in one exact-size array).</summary>
    public byte[] ReadState(ulong index, ulong term)
    {
        using var file = new FileStream(Path.Combine(directory, $"{term:x16}-{index:x16}.snap"), FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        var state = GC.AllocateUninitializedArray<byte>(checked((int)(file.Length - 28)));
        file.Position = 24;
        file.ReadExactly(state);
        return state;
    }

    /// <summary>
    /// Loads the newest snapshot, verifying its CRC, or returns false when there is none.
    /// A damaged newest snapshot is an error, not a silent fallback: the WAL behind it may already be gone.
    /// </summary>
    public bool TryLoadLatest(out ulong index, out ulong term, out MemoryStream state)
    {
        index = term = 0;
        state = null!;
        foreach (var leftover in Directory.Exists(directory) ? Directory.GetFiles(directory, "*.tmp") : [])
        {
            File.Delete(leftover);
        }
        var all = List();
        if (all.Count == 0)
        {
            return false;
        }
        var newest = all[^1];
        var bytes = File.ReadAllBytes(newest.Path);
        if (bytes.Length < 28
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) != Format
            || Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)))
        {
            throw new InvalidDataException($"Snapshot '{Path.GetFileName(newest.Path)}' is damaged (bad header or CRC). Refusing to start.");
        }
        index = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8));
        term = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        state = new MemoryStream(bytes, 24, bytes.Length - 28, writable: false);
        logger.LogInformation("Loading snapshot {Snapshot} at index {Index}", Path.GetFileName(newest.Path), index);
        return true;
    }

    private List<(string Path, ulong Index)> List()
    {
        var result = new List<(string, ulong)>();
        if (!Directory.Exists(directory))
        {
            return result;
        }
        foreach (var path in Directory.EnumerateFiles(directory, "*.snap"))
        {
            var parts = Path.GetFileNameWithoutExtension(path).Split('-');
            if (parts.Length == 2 && ulong.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var index))
            {
                result.Add((path, index));
            }
        }
        result.Sort((a, b) => a.Item2.CompareTo(b.Item2));
        return result;
    }

    /// <summary>A write-only pass-through stream that computes CRC-32C of what goes through it.</summary>
    private sealed class CrcStream(Stream inner) : Stream
    {
        private uint _crc = 0xFFFFFFFFu;

        public uint Crc => ~_crc;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _crc = Crc32C.Append(_crc, buffer);
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
