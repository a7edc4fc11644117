using System.Buffers;
using System.Buffers.Binary;
using Kube.Store.Raft.Core;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Wal;

/// <summary>
/// The durable log of a replicated member: Raft entries, HardStates and a snapshot marker in one file, each record
/// <c>[u32 payload length][u32 CRC-32C of type+payload][u8 type][payload]</c> (the framing of <see cref="WriteAheadLog"/>).
/// </summary>
/// <remarks>
/// <para>Record types: 1 = entry <c>[u64 term][u64 index][u8 entry type][data]</c>; 2 = HardState <c>[u64 term][u64 vote][u64 commit]</c>;
/// 3 = snapshot marker <c>[u64 index][u64 term][u32 voters][u64…][u32 learners][u64…]</c> (the state itself is in a
/// <see cref="SnapshotStore"/> file). An entry at an index already written replaces it and everything after it, as in Raft.</para>
/// <para>Appends are buffered; <see cref="Sync"/> writes them and, when asked, fsyncs once (group commit for one Ready), into
/// zeros allocated ahead of the last record (<see cref="WalFile"/>).
/// After a snapshot the file is rewritten (temp file, fsync, rename, directory fsync) with the marker, the HardState and the
/// entries after the compaction point, so it stays small.</para>
/// <para>Recovery: a partial or CRC-bad record at the very end (a torn write; only zeros may follow it) is truncated with a
/// warning; a bad record followed by more data is corruption and fails with <see cref="InvalidDataException"/>. Zeros where
/// the next record would start are the space allocated ahead: the log ends there.</para>
/// </remarks>
internal sealed class RaftWal : IDisposable
{
    private const int HeaderSize = 9;
    private const byte EntryRecord = 1;
    private const byte HardStateRecord = 2;
    private const byte SnapshotRecord = 3;
    private const int MaxPayload = 256 * 1024 * 1024;

    private readonly string _path;
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private WalFile _file;

    private RaftWal(string path, WalFile file)
    {
        _path = path;
        _file = file;
    }

    /// <summary>The size of the records in the file (written since it was last rewritten, or before it was opened).</summary>
    public long Length => _file.End;

    /// <summary>Bytes of records written by <see cref="Sync"/> since the log was opened (not reset by <see cref="Rewrite"/>).</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Opens (creating if needed) the log at <paramref name="path"/>, replaying every record in order.</summary>
    public static RaftWal Open(string path, ILogger logger, Action<RaftEntry> onEntry, Action<HardState> onHardState,
        Action<ulong, ulong, ConfState> onSnapshot)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path + ".tmp");
        var existed = File.Exists(path);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        try
        {
            var bytes = new byte[file.Length];
            file.ReadExactly(bytes);
            var offset = 0;
            while (offset < bytes.Length)
            {
                var rest = bytes.AsSpan(offset);
                if (rest.Length < HeaderSize)
                {
                    break;
                }
                var length = BinaryPrimitives.ReadUInt32LittleEndian(rest);
                if (length > MaxPayload || HeaderSize + (long)length > rest.Length)
                {
                    break;
                }
                var crc = BinaryPrimitives.ReadUInt32LittleEndian(rest[4..]);
                var body = rest.Slice(8, 1 + (int)length);
                if (Crc32C.Compute(body) != crc)
                {
                    // Followed by zeros only (allocated ahead by WalFile): a torn last record, or no record at all.
                    if (!WalFile.IsZero(rest[(HeaderSize + (int)length)..]))
                    {
                        throw new InvalidDataException($"The Raft log {path} is corrupt at byte {offset}: a record with a bad CRC is followed by more data.");
                    }
                    break;
                }
                Replay(body[0], body[1..], onEntry, onHardState, onSnapshot, path, offset);
                offset += HeaderSize + (int)length;
            }
            if (offset < bytes.Length && !WalFile.IsZero(bytes.AsSpan(offset)))
            {
                logger.LogWarning("Truncating a torn tail of {Bytes} bytes at offset {Offset} of the Raft log {Path}", bytes.Length - offset, offset, path);
                file.SetLength(offset);
                file.Flush(true);
            }
            if (!existed)
            {
                file.Flush(true);
                DirectorySync.Flush(Path.GetDirectoryName(path)!);
            }
            return new RaftWal(path, new WalFile(file, Math.Min(offset, file.Length)));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static void Replay(byte type, ReadOnlySpan<byte> p, Action<RaftEntry> onEntry, Action<HardState> onHardState,
        Action<ulong, ulong, ConfState> onSnapshot, string path, int offset)
    {
        switch (type)
        {
            case EntryRecord:
                onEntry(new RaftEntry(BinaryPrimitives.ReadUInt64LittleEndian(p), BinaryPrimitives.ReadUInt64LittleEndian(p[8..]),
                    (RaftEntryType)p[16], p[17..].ToArray()));
                break;
            case HardStateRecord:
                onHardState(new HardState(BinaryPrimitives.ReadUInt64LittleEndian(p), BinaryPrimitives.ReadUInt64LittleEndian(p[8..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(p[16..])));
                break;
            case SnapshotRecord:
                var index = BinaryPrimitives.ReadUInt64LittleEndian(p);
                var term = BinaryPrimitives.ReadUInt64LittleEndian(p[8..]);
                var rest = p[16..];
                var voters = ReadIds(ref rest);
                var learners = ReadIds(ref rest);
                onSnapshot(index, term, new ConfState(voters, learners));
                break;
            default:
                throw new InvalidDataException($"The Raft log {path} has an unknown record type {type} at byte {offset}.");
        }
    }

    private static ulong[] ReadIds(ref ReadOnlySpan<byte> p)
    {
        var count = BinaryPrimitives.ReadUInt32LittleEndian(p);
        var ids = new ulong[count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = BinaryPrimitives.ReadUInt64LittleEndian(p[(4 + 8 * i)..]);
        }
        p = p[(4 + 8 * ids.Length)..];
        return ids;
    }

    /// <summary>Buffers one entry; durable after <see cref="Sync"/> with fsync.</summary>
    public void Append(RaftEntry entry) => AppendTo(_pending, entry);

    /// <summary>Buffers a HardState record.</summary>
    public void Append(HardState state) => AppendTo(_pending, state);

    /// <summary>Writes the buffered records; fsyncs them when <paramref name="fsync"/> is true.</summary>
    public void Sync(bool fsync)
    {
        if (_pending.WrittenCount > 0)
        {
            _file.Append(_pending.WrittenSpan);
            BytesWritten += _pending.WrittenCount;
            _pending.ResetWrittenCount();
            if (_pending.Capacity > 4 * 1024 * 1024)
            {
                _pending.Clear();
            }
        }
        if (fsync)
        {
            _file.Sync();
        }
    }

    /// <summary>
    /// Atomically replaces the log with a snapshot marker (<paramref name="snapshot"/>'s index, term and membership; its data
    /// must already be durable in a <see cref="SnapshotStore"/>), <paramref name="state"/> and <paramref name="entries"/>.
    /// </summary>
    public void Rewrite(RaftSnapshot snapshot, HardState state, IReadOnlyList<RaftEntry> entries)
    {
        Sync(fsync: false);
        var temp = _path + ".tmp";
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        var conf = snapshot.ConfState;
        Write(buffer, SnapshotRecord, 24 + 8 * (conf.Voters.Length + conf.Learners.Length), span =>
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span, snapshot.Index);
            BinaryPrimitives.WriteUInt64LittleEndian(span[8..], snapshot.Term);
            var at = 16;
            foreach (var ids in new[] { conf.Voters, conf.Learners })
            {
                BinaryPrimitives.WriteUInt32LittleEndian(span[at..], (uint)ids.Length);
                at += 4;
                foreach (var id in ids)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(span[at..], id);
                    at += 8;
                }
            }
        });
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            file.Write(buffer.WrittenSpan);
            buffer.ResetWrittenCount();
            foreach (var e in entries)
            {
                AppendTo(buffer, e);
            }
            AppendTo(buffer, state);
            file.Write(buffer.WrittenSpan);
            file.Flush(true);
        }
        _file.Dispose();
        File.Move(temp, _path, overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(_path)!);
        var reopened = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.None);
        _file = new WalFile(reopened, reopened.Length);
    }

    private static void AppendTo(ArrayBufferWriter<byte> buffer, RaftEntry entry) => Write(buffer, EntryRecord, 17 + entry.Data.Length, span =>
    {
        BinaryPrimitives.WriteUInt64LittleEndian(span, entry.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], entry.Index);
        span[16] = (byte)entry.Type;
        entry.Data.CopyTo(span[17..]);
    });

    private static void AppendTo(ArrayBufferWriter<byte> buffer, HardState state) => Write(buffer, HardStateRecord, 24, span =>
    {
        BinaryPrimitives.WriteUInt64LittleEndian(span, state.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], state.Vote);
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], state.Commit);
    });

    private delegate void PayloadWriter(Span<byte> payload);

    private static void Write(ArrayBufferWriter<byte> buffer, byte type, int payloadLength, PayloadWriter write)
    {
        var span = buffer.GetSpan(HeaderSize + payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)payloadLength);
        span[8] = type;
        write(span.Slice(HeaderSize, payloadLength));
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Crc32C.Compute(span.Slice(8, 1 + payloadLength)));
        buffer.Advance(HeaderSize + payloadLength);
    }

    public void Dispose() => _file.Dispose();
}
