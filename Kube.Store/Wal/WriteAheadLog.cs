using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Wal;

/// <summary>
/// A segmented write-ahead log of Raft entries under one directory.
/// </summary>
/// <remarks>
/// <para>Segments are named <c>{sequence:x16}-{firstIndex:x16}.wal</c> and rolled once they pass the segment size.
/// Each record is <c>[u32 payload length][u32 CRC-32C of type+payload][u8 type][payload]</c>, little-endian;
/// an entry payload is <c>[u64 index][u64 term][command bytes]</c>.</para>
/// <para>Appends are buffered; <see cref="Sync"/> writes the buffer and makes it durable (<c>fdatasync</c> on Linux, see
/// <see cref="FileSync"/>; new segments and their directory entry get a full fsync). Callers acknowledge only after Sync.
/// Zeros are allocated ahead of the last record (<see cref="WalFile"/>), so that an fdatasync does not also commit a new file
/// size; a segment is cut at its last record when the next one starts, and the live one when the log is closed.</para>
/// <para>Recovery reads every segment. A partial or CRC-bad record at the very end of the last segment (a torn write) is
/// truncated with a warning. A bad record followed by any valid record, a bad record in an earlier segment, or a gap in
/// the indexes is corruption and fails with <see cref="InvalidDataException"/>: acknowledged data is never dropped silently.</para>
/// </remarks>
internal sealed class WriteAheadLog : IDisposable
{
    private const int HeaderSize = 9;
    private const byte EntryType = 1;
    private const int MaxPayload = 256 * 1024 * 1024;

    private readonly string _directory;
    private readonly long _segmentBytes;
    private readonly ILogger _logger;
    private readonly List<Segment> _segments = [];
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private WalFile? _current;
    private long _lastSegmentEnd;

    private WriteAheadLog(string directory, long segmentBytes, ILogger logger)
    {
        _directory = directory;
        _segmentBytes = segmentBytes;
        _logger = logger;
    }

    /// <summary>The index of the last entry appended (0 when empty).</summary>
    public ulong LastIndex { get; private set; }

    public ulong LastTerm { get; private set; }

    public int SegmentCount => _segments.Count;

    /// <summary>Bytes made durable by <see cref="Sync"/> since this WAL was opened.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>
    /// Opens (creating if needed) the WAL in <paramref name="directory"/>, passing every entry after
    /// <paramref name="snapshotIndex"/> to <paramref name="replay"/> in order.
    /// </summary>
    public static WriteAheadLog Open(string directory, ulong snapshotIndex, long segmentBytes, ILogger logger, Action<WalEntry> replay)
    {
        Directory.CreateDirectory(directory);
        var wal = new WriteAheadLog(directory, segmentBytes, logger);
        try
        {
            wal.Recover(snapshotIndex, replay);
            return wal;
        }
        catch
        {
            wal.Dispose();
            throw;
        }
    }

    private void Recover(ulong snapshotIndex, Action<WalEntry> replay)
    {
        foreach (var path in Directory.EnumerateFiles(_directory, "*.wal"))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            var parts = name.Split('-');
            if (parts.Length != 2
                || !ulong.TryParse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var seq)
                || !ulong.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var first))
            {
                throw new InvalidDataException($"Unexpected file '{Path.GetFileName(path)}' in the WAL directory '{_directory}'.");
            }
            _segments.Add(new Segment(path, seq, first));
        }
        _segments.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));

        LastIndex = snapshotIndex;
        var expected = 0UL; // 0: the first entry may be any index at or before snapshotIndex + 1
        for (var s = 0; s < _segments.Count; s++)
        {
            var segment = _segments[s];
            var isLast = s == _segments.Count - 1;
            var data = File.ReadAllBytes(segment.Path);
            var pos = 0;
            while (pos < data.Length)
            {
                if (!TryReadRecord(data, pos, out var type, out var payload, out var next))
                {
                    if (isLast && WalFile.IsZero(data.AsSpan(pos)))
                    {
                        break; // the zeros allocated ahead of the last record (WalFile)
                    }
                    if (isLast && !HasValidRecordAfter(data, pos + 1))
                    {
                        _logger.LogWarning("Truncating a torn WAL tail in {Segment} at offset {Offset} ({Bytes} bytes dropped; they were never acknowledged)",
                            Path.GetFileName(segment.Path), pos, data.Length - pos);
                        using var fs = new FileStream(segment.Path, FileMode.Open, FileAccess.Write, FileShare.None);
                        fs.SetLength(pos);
                        fs.Flush(true);
                        break;
                    }
                    throw new InvalidDataException(
                        $"WAL corruption in '{Path.GetFileName(segment.Path)}' at offset {pos}: a damaged record is followed by valid data. " +
                        "Refusing to start rather than lose acknowledged writes; restore from a snapshot or repair the file.");
                }
                if (type != EntryType || payload.Length < 16)
                {
                    throw new InvalidDataException($"WAL corruption in '{Path.GetFileName(segment.Path)}' at offset {pos}: unknown record type {type}.");
                }
                var index = BinaryPrimitives.ReadUInt64LittleEndian(payload.Span);
                var term = BinaryPrimitives.ReadUInt64LittleEndian(payload.Span[8..]);
                if (expected == 0 ? index > snapshotIndex + 1 : index != expected)
                {
                    throw new InvalidDataException(
                        $"WAL gap in '{Path.GetFileName(segment.Path)}': found index {index}, expected {(expected == 0 ? snapshotIndex + 1 : expected)}.");
                }
                expected = index + 1;
                if (index > snapshotIndex)
                {
                    replay(new WalEntry(index, term, payload[16..]));
                    LastIndex = index;
                    LastTerm = term;
                }
                pos = next;
            }
            _lastSegmentEnd = pos;
        }

        if (_segments.Count == 0)
        {
            CreateSegment(0, LastIndex + 1);
        }
        else
        {
            var last = _segments[^1];
            _current = new WalFile(new FileStream(last.Path, FileMode.Open, FileAccess.Write, FileShare.Read, 1, FileOptions.None),
                Math.Min(_lastSegmentEnd, new FileInfo(last.Path).Length));
        }
    }

    private static bool TryReadRecord(byte[] data, int pos, out byte type, out ReadOnlyMemory<byte> payload, out int next)
    {
        type = 0;
        payload = default;
        next = 0;
        if (data.Length - pos < HeaderSize)
        {
            return false;
        }
        var length = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos));
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 4));
        if (length > MaxPayload || length > (uint)(data.Length - pos - HeaderSize))
        {
            return false;
        }
        var body = data.AsSpan(pos + 8, 1 + (int)length);
        if (Crc32C.Compute(body) != crc)
        {
            return false;
        }
        type = body[0];
        payload = data.AsMemory(pos + HeaderSize, (int)length);
        next = pos + HeaderSize + (int)length;
        return true;
    }

    /// <summary>Whether any valid record starts at or after <paramref name="from"/> (used to tell a torn tail from mid-file damage).</summary>
    private static bool HasValidRecordAfter(byte[] data, int from)
    {
        for (var p = from; p <= data.Length - HeaderSize; p++)
        {
            if (TryReadRecord(data, p, out var type, out var payload, out _) && type == EntryType && payload.Length >= 16)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Buffers one entry. It is not durable until <see cref="Sync"/> returns.</summary>
    public void Append(ulong index, ulong term, ReadOnlySpan<byte> data)
    {
        if (index != LastIndex + 1)
        {
            throw new InvalidOperationException($"WAL append out of order: index {index} after {LastIndex}.");
        }
        if (_current!.End >= _segmentBytes && _pending.WrittenCount == 0)
        {
            Roll(index);
        }
        var payloadLength = 16 + data.Length;
        var span = _pending.GetSpan(HeaderSize + payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)payloadLength);
        span[8] = EntryType;
        BinaryPrimitives.WriteUInt64LittleEndian(span[9..], index);
        BinaryPrimitives.WriteUInt64LittleEndian(span[17..], term);
        data.CopyTo(span[25..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Crc32C.Compute(span.Slice(8, 1 + payloadLength)));
        _pending.Advance(HeaderSize + payloadLength);
        LastIndex = index;
        LastTerm = term;
    }

    /// <summary>Writes the buffered entries and fsyncs them. Rolls to a new segment afterwards when the current one is full.</summary>
    public void Sync()
    {
        if (_pending.WrittenCount == 0)
        {
            return;
        }
        _current!.Append(_pending.WrittenSpan);
        _current.Sync();
        BytesWritten += _pending.WrittenCount;
        _pending.ResetWrittenCount();
        if (_pending.Capacity > 4 * 1024 * 1024)
        {
            // Do not pin a huge buffer after one large batch.
            _pending.Clear();
        }
    }

    private void Roll(ulong firstIndex)
    {
        _current?.Trim(); // a full segment keeps no zeros ahead: recovery treats a damaged tail in an earlier segment as corruption
        _current?.Dispose();
        var seq = _segments.Count == 0 ? 0 : _segments[^1].Sequence + 1;
        CreateSegment(seq, firstIndex);
    }

    private void CreateSegment(ulong sequence, ulong firstIndex)
    {
        var path = Path.Combine(_directory, $"{sequence:x16}-{firstIndex:x16}.wal");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        file.Flush(true);
        DirectorySync.Flush(_directory);
        _current = new WalFile(file, 0);
        _segments.Add(new Segment(path, sequence, firstIndex));
    }

    /// <summary>Deletes the segments whose every entry is at or before <paramref name="index"/> (covered by a durable snapshot). The live segment is kept.</summary>
    public int ReleaseTo(ulong index)
    {
        var removed = 0;
        while (_segments.Count > 1 && _segments[1].FirstIndex <= index + 1)
        {
            File.Delete(_segments[0].Path);
            _segments.RemoveAt(0);
            removed++;
        }
        if (removed > 0)
        {
            DirectorySync.Flush(_directory);
        }
        return removed;
    }

    public void Dispose()
    {
        _current?.Dispose();
        _current = null;
    }

    private sealed record Segment(string Path, ulong Sequence, ulong FirstIndex);
}
