using Kube.Store.Raft.Core;

namespace Kube.Store.Raft.Transport;

/// <summary>
/// The wire form of a <see cref="RaftMessage"/>: protobuf, in the spirit of etcd's <c>raftpb.Message</c> but with our own
/// field numbers. Message: 1 type, 2 to, 3 from, 4 term, 5 log_term, 6 index, 7 entries (repeated Entry), 8 commit,
/// 9 reject, 10 reject_hint, 11 snapshot metadata (SnapshotMeta), 12 context. Entry: 1 term, 2 index, 3 type, 4 data.
/// SnapshotMeta: 1 index, 2 term, 3 voters, 4 learners. Snapshot data is not in the message: it streams in chunks.
/// </summary>
/// <remarks>
/// Encoded in one pass into a buffer of the exact size (the sizes are computed first), and decoded straight from the received
/// frame: an entry's data is copied once, into the entry. Fields with value 0 are left out, as protobuf 3 does. A frame of the
/// peer stream is a sequence of length-prefixed (varint) messages (<see cref="EncodeFrame"/>, <see cref="DecodeFrame"/>).
/// </remarks>
internal static class RaftMessageCodec
{
    private const int Varint = 0;
    private const int LengthDelimited = 2;

    public static byte[] Encode(RaftMessage m)
    {
        var bytes = new byte[Size(m)];
        var w = new Writer(bytes);
        Write(ref w, m);
        return bytes;
    }

    /// <summary>Encodes <paramref name="messages"/> as one frame: each message prefixed with its length.</summary>
    public static byte[] EncodeFrame(IReadOnlyList<RaftMessage> messages)
    {
        var sizes = new int[messages.Count];
        var total = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            sizes[i] = Size(messages[i]);
            total += VarintSize((ulong)sizes[i]) + sizes[i];
        }
        var bytes = new byte[total];
        var w = new Writer(bytes);
        for (var i = 0; i < sizes.Length; i++)
        {
            w.Varint((ulong)sizes[i]);
            Write(ref w, messages[i]);
        }
        return bytes;
    }

    /// <summary>Decodes a frame written by <see cref="EncodeFrame"/>, handing each message to <paramref name="each"/> in order.</summary>
    public static void DecodeFrame(ReadOnlySpan<byte> frame, Action<RaftMessage> each)
    {
        var r = new Reader(frame);
        while (!r.AtEnd)
        {
            each(Decode(r.LengthDelimited()));
        }
    }

    /// <summary>The encoded size of <paramref name="m"/> in bytes.</summary>
    public static int Size(RaftMessage m)
    {
        var size = UInt((ulong)m.Type) + UInt(m.To) + UInt(m.From) + UInt(m.Term) + UInt(m.LogTerm) + UInt(m.Index)
            + UInt(m.Commit) + (m.Reject ? 2 : 0) + UInt(m.RejectHint);
        foreach (var e in m.Entries)
        {
            size += Nested(EntrySize(e));
        }
        if (m.Snapshot is { } s)
        {
            size += Nested(SnapshotSize(s));
        }
        if (m.Context is { } ctx)
        {
            size += Nested(ctx.Length);
        }
        return size;
    }

    private static int EntrySize(RaftEntry e) => UInt(e.Term) + UInt(e.Index) + UInt((ulong)e.Type) + (e.Data.Length > 0 ? Nested(e.Data.Length) : 0);

    private static int SnapshotSize(RaftSnapshot s)
    {
        var size = UInt(s.Index) + UInt(s.Term);
        foreach (var id in s.ConfState.Voters)
        {
            size += 1 + VarintSize(id);
        }
        foreach (var id in s.ConfState.Learners)
        {
            size += 1 + VarintSize(id);
        }
        return size;
    }

    /// <summary>A varint field (tag + value), left out when 0.</summary>
    private static int UInt(ulong value) => value == 0 ? 0 : 1 + VarintSize(value);

    /// <summary>A length-delimited field of <paramref name="length"/> bytes (tag + length + bytes).</summary>
    private static int Nested(int length) => 1 + VarintSize((ulong)length) + length;

    private static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    private static void Write(ref Writer w, RaftMessage m)
    {
        w.UInt(1, (ulong)m.Type);
        w.UInt(2, m.To);
        w.UInt(3, m.From);
        w.UInt(4, m.Term);
        w.UInt(5, m.LogTerm);
        w.UInt(6, m.Index);
        foreach (var e in m.Entries)
        {
            w.Tag(7, LengthDelimited);
            w.Varint((ulong)EntrySize(e));
            w.UInt(1, e.Term);
            w.UInt(2, e.Index);
            w.UInt(3, (ulong)e.Type);
            if (e.Data.Length > 0)
            {
                w.Bytes(4, e.Data);
            }
        }
        w.UInt(8, m.Commit);
        w.UInt(9, m.Reject ? 1UL : 0);
        w.UInt(10, m.RejectHint);
        if (m.Snapshot is { } s)
        {
            w.Tag(11, LengthDelimited);
            w.Varint((ulong)SnapshotSize(s));
            w.UInt(1, s.Index);
            w.UInt(2, s.Term);
            foreach (var id in s.ConfState.Voters)
            {
                w.Tag(3, Varint);
                w.Varint(id);
            }
            foreach (var id in s.ConfState.Learners)
            {
                w.Tag(4, Varint);
                w.Varint(id);
            }
        }
        if (m.Context is { } ctx)
        {
            w.Bytes(12, ctx);
        }
    }

    /// <summary>Decodes a message; <paramref name="snapshotData"/> is the reassembled snapshot (when the message carries one).</summary>
    public static RaftMessage Decode(ReadOnlySpan<byte> bytes, byte[]? snapshotData = null)
    {
        var r = new Reader(bytes);
        RaftMessageType type = default;
        ulong to = 0, from = 0, term = 0, logTerm = 0, index = 0, commit = 0, rejectHint = 0;
        var reject = false;
        List<RaftEntry>? entries = null;
        RaftSnapshot? snapshot = null;
        byte[]? context = null;
        while (!r.AtEnd)
        {
            var (field, wire) = r.Tag();
            switch (field)
            {
                case 1: type = (RaftMessageType)r.Varint(); break;
                case 2: to = r.Varint(); break;
                case 3: from = r.Varint(); break;
                case 4: term = r.Varint(); break;
                case 5: logTerm = r.Varint(); break;
                case 6: index = r.Varint(); break;
                case 7: (entries ??= []).Add(DecodeEntry(r.LengthDelimited())); break;
                case 8: commit = r.Varint(); break;
                case 9: reject = r.Varint() != 0; break;
                case 10: rejectHint = r.Varint(); break;
                case 11: snapshot = DecodeSnapshot(r.LengthDelimited(), snapshotData ?? []); break;
                case 12: context = r.LengthDelimited().ToArray(); break;
                default: r.Skip(wire); break;
            }
        }
        return new RaftMessage
        {
            Type = type,
            To = to,
            From = from,
            Term = term,
            LogTerm = logTerm,
            Index = index,
            Entries = entries is null ? [] : [.. entries],
            Commit = commit,
            Reject = reject,
            RejectHint = rejectHint,
            Snapshot = snapshot,
            Context = context,
        };
    }

    private static RaftEntry DecodeEntry(ReadOnlySpan<byte> bytes)
    {
        var r = new Reader(bytes);
        ulong term = 0, index = 0;
        var type = RaftEntryType.Normal;
        byte[] data = [];
        while (!r.AtEnd)
        {
            var (field, wire) = r.Tag();
            switch (field)
            {
                case 1: term = r.Varint(); break;
                case 2: index = r.Varint(); break;
                case 3: type = (RaftEntryType)r.Varint(); break;
                case 4: data = r.LengthDelimited().ToArray(); break;
                default: r.Skip(wire); break;
            }
        }
        return new RaftEntry(term, index, type, data);
    }

    private static RaftSnapshot DecodeSnapshot(ReadOnlySpan<byte> bytes, byte[] data)
    {
        var r = new Reader(bytes);
        ulong index = 0, term = 0;
        List<ulong> voters = [], learners = [];
        while (!r.AtEnd)
        {
            var (field, wire) = r.Tag();
            switch (field)
            {
                case 1: index = r.Varint(); break;
                case 2: term = r.Varint(); break;
                case 3 when wire == Varint: voters.Add(r.Varint()); break;
                case 4 when wire == Varint: learners.Add(r.Varint()); break;
                case 3: ReadPacked(r.LengthDelimited(), voters); break;
                case 4: ReadPacked(r.LengthDelimited(), learners); break;
                default: r.Skip(wire); break;
            }
        }
        return new RaftSnapshot(index, term, new ConfState([.. voters], [.. learners]), data);
    }

    private static void ReadPacked(ReadOnlySpan<byte> bytes, List<ulong> into)
    {
        var r = new Reader(bytes);
        while (!r.AtEnd)
        {
            into.Add(r.Varint());
        }
    }

    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        private int _at;

        public void Tag(int field, int wire) => Varint((ulong)(field << 3 | wire));

        public void UInt(int field, ulong value)
        {
            if (value != 0)
            {
                Tag(field, RaftMessageCodec.Varint);
                Varint(value);
            }
        }

        public void Bytes(int field, ReadOnlySpan<byte> bytes)
        {
            Tag(field, LengthDelimited);
            Varint((ulong)bytes.Length);
            bytes.CopyTo(_buffer[_at..]);
            _at += bytes.Length;
        }

        public void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _buffer[_at++] = (byte)(value | 0x80);
                value >>= 7;
            }
            _buffer[_at++] = (byte)value;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;

        public readonly bool AtEnd => _at >= _bytes.Length;

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            if (tag >> 3 is 0 or > int.MaxValue)
            {
                throw new InvalidDataException($"A Raft message has an invalid field tag {tag}.");
            }
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_at >= _bytes.Length)
                {
                    throw new InvalidDataException("A Raft message ends inside a varint.");
                }
                var b = _bytes[_at++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
            throw new InvalidDataException("A Raft message has a varint longer than 10 bytes.");
        }

        public ReadOnlySpan<byte> LengthDelimited()
        {
            var length = Varint();
            if (length > (ulong)(_bytes.Length - _at))
            {
                throw new InvalidDataException($"A Raft message field of {length} bytes runs past the end of the message.");
            }
            var slice = _bytes.Slice(_at, (int)length);
            _at += (int)length;
            return slice;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case RaftMessageCodec.Varint: Varint(); break;
                case 1: Fixed(8); break;
                case RaftMessageCodec.LengthDelimited: LengthDelimited(); break;
                case 5: Fixed(4); break;
                default: throw new InvalidDataException($"A Raft message has a field of unknown wire type {wire}.");
            }
        }

        private void Fixed(int length)
        {
            if (length > _bytes.Length - _at)
            {
                throw new InvalidDataException("A Raft message ends inside a fixed-size field.");
            }
            _at += length;
        }
    }
}
