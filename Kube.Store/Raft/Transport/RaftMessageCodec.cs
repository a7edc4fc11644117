using Google.Protobuf;
using Kube.Store.Raft.Core;

namespace Kube.Store.Raft.Transport;

/// <summary>
/// The wire form of a <see cref="RaftMessage"/>: protobuf, in the spirit of etcd's <c>raftpb.Message</c> but with our own
/// field numbers. Message: 1 type, 2 to, 3 from, 4 term, 5 log_term, 6 index, 7 entries (repeated Entry), 8 commit,
/// 9 reject, 10 reject_hint, 11 snapshot metadata (SnapshotMeta), 12 context. Entry: 1 term, 2 index, 3 type, 4 data.
/// SnapshotMeta: 1 index, 2 term, 3 voters (packed), 4 learners (packed). Snapshot data is not in the message: it streams in chunks.
/// </summary>
internal static class RaftMessageCodec
{
    public static byte[] Encode(RaftMessage m)
    {
        using var buffer = new MemoryStream();
        var o = new CodedOutputStream(buffer);
        o.WriteTag(1, WireFormat.WireType.Varint); o.WriteUInt32((uint)m.Type);
        o.WriteTag(2, WireFormat.WireType.Varint); o.WriteUInt64(m.To);
        o.WriteTag(3, WireFormat.WireType.Varint); o.WriteUInt64(m.From);
        o.WriteTag(4, WireFormat.WireType.Varint); o.WriteUInt64(m.Term);
        o.WriteTag(5, WireFormat.WireType.Varint); o.WriteUInt64(m.LogTerm);
        o.WriteTag(6, WireFormat.WireType.Varint); o.WriteUInt64(m.Index);
        foreach (var e in m.Entries)
        {
            using var eb = new MemoryStream();
            var eo = new CodedOutputStream(eb);
            eo.WriteTag(1, WireFormat.WireType.Varint); eo.WriteUInt64(e.Term);
            eo.WriteTag(2, WireFormat.WireType.Varint); eo.WriteUInt64(e.Index);
            eo.WriteTag(3, WireFormat.WireType.Varint); eo.WriteUInt32((uint)e.Type);
            eo.WriteTag(4, WireFormat.WireType.LengthDelimited); eo.WriteBytes(ByteString.CopyFrom(e.Data));
            eo.Flush();
            o.WriteTag(7, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(eb.ToArray()));
        }
        o.WriteTag(8, WireFormat.WireType.Varint); o.WriteUInt64(m.Commit);
        o.WriteTag(9, WireFormat.WireType.Varint); o.WriteBool(m.Reject);
        o.WriteTag(10, WireFormat.WireType.Varint); o.WriteUInt64(m.RejectHint);
        if (m.Snapshot is { } s)
        {
            using var sb = new MemoryStream();
            var so = new CodedOutputStream(sb);
            so.WriteTag(1, WireFormat.WireType.Varint); so.WriteUInt64(s.Index);
            so.WriteTag(2, WireFormat.WireType.Varint); so.WriteUInt64(s.Term);
            foreach (var (field, ids) in new[] { (3, s.ConfState.Voters), (4, s.ConfState.Learners) })
            {
                foreach (var id in ids)
                {
                    so.WriteTag(field, WireFormat.WireType.Varint); so.WriteUInt64(id);
                }
            }
            so.Flush();
            o.WriteTag(11, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(sb.ToArray()));
        }
        if (m.Context is { } ctx)
        {
            o.WriteTag(12, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(ctx));
        }
        o.Flush();
        return buffer.ToArray();
    }

    /// <summary>Decodes a message; <paramref name="snapshotData"/> is the reassembled snapshot (when the message carries one).</summary>
    public static RaftMessage Decode(ReadOnlySpan<byte> bytes, byte[]? snapshotData = null)
    {
        var i = new CodedInputStream(bytes.ToArray());
        var m = new RaftMessage();
        var entries = new List<RaftEntry>();
        uint tag;
        while ((tag = i.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: m = m with { Type = (RaftMessageType)i.ReadUInt32() }; break;
                case 2: m = m with { To = i.ReadUInt64() }; break;
                case 3: m = m with { From = i.ReadUInt64() }; break;
                case 4: m = m with { Term = i.ReadUInt64() }; break;
                case 5: m = m with { LogTerm = i.ReadUInt64() }; break;
                case 6: m = m with { Index = i.ReadUInt64() }; break;
                case 7: entries.Add(DecodeEntry(i.ReadBytes())); break;
                case 8: m = m with { Commit = i.ReadUInt64() }; break;
                case 9: m = m with { Reject = i.ReadBool() }; break;
                case 10: m = m with { RejectHint = i.ReadUInt64() }; break;
                case 11: m = m with { Snapshot = DecodeSnapshot(i.ReadBytes(), snapshotData ?? []) }; break;
                case 12: m = m with { Context = i.ReadBytes().ToByteArray() }; break;
                default: i.SkipLastField(); break;
            }
        }
        return m with { Entries = [.. entries] };
    }

    private static RaftEntry DecodeEntry(ByteString bytes)
    {
        var i = bytes.CreateCodedInput();
        ulong term = 0, index = 0;
        var type = RaftEntryType.Normal;
        byte[] data = [];
        uint tag;
        while ((tag = i.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: term = i.ReadUInt64(); break;
                case 2: index = i.ReadUInt64(); break;
                case 3: type = (RaftEntryType)i.ReadUInt32(); break;
                case 4: data = i.ReadBytes().ToByteArray(); break;
                default: i.SkipLastField(); break;
            }
        }
        return new RaftEntry(term, index, type, data);
    }

    private static RaftSnapshot DecodeSnapshot(ByteString bytes, byte[] data)
    {
        var i = bytes.CreateCodedInput();
        ulong index = 0, term = 0;
        List<ulong> voters = [], learners = [];
        uint tag;
        while ((tag = i.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: index = i.ReadUInt64(); break;
                case 2: term = i.ReadUInt64(); break;
                case 3: voters.Add(i.ReadUInt64()); break;
                case 4: learners.Add(i.ReadUInt64()); break;
                default: i.SkipLastField(); break;
            }
        }
        return new RaftSnapshot(index, term, new ConfState([.. voters], [.. learners]), data);
    }
}
