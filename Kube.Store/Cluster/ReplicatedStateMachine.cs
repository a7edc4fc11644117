using System.Text;
using Kube.Store.Mvcc;
using Kube.Store.Raft;
using Kube.Store.Raft.Core;

namespace Kube.Store.Cluster;

/// <summary>
/// The state machine of a replicated member: the MVCC keyspace plus the member registry (etcd keeps the latter in its
/// <c>members</c> bucket). Membership changes arrive as configuration-change entries whose context is the member's record;
/// a member publishes its name and client URLs with an attributes entry (etcd's <c>publish</c>).
/// </summary>
/// <remarks>Snapshot layout: the magic <c>KCM1</c>, the membership (i32 length + bytes), then the MVCC image.</remarks>
internal sealed class ReplicatedStateMachine(MvccState mvcc, ClusterMembership membership) : IStateMachine
{
    /// <summary>The first byte of an attributes entry (MVCC command types are small numbers).</summary>
    public const byte AttributesType = 0xA0;

    /// <summary>The first byte of a peer-URL update entry (etcd's ConfChangeUpdateNode; here a plain entry, as it changes no voter).</summary>
    public const byte UpdatePeersType = 0xA1;

    private static readonly byte[] Magic = "KCM1"u8.ToArray();

    public MvccState Mvcc => mvcc;

    public ClusterMembership Membership => membership;

    /// <summary>Encodes an attributes entry: the member's name and client URLs.</summary>
    public static byte[] EncodeAttributes(ulong memberId, string name, IReadOnlyList<string> clientUrls)
    {
        using var buffer = new MemoryStream();
        buffer.WriteByte(AttributesType);
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(memberId);
            w.Write(name);
            w.Write(clientUrls.Count);
            foreach (var url in clientUrls)
            {
                w.Write(url);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>Encodes a peer-URL update entry: the member id and its new peer URLs.</summary>
    public static byte[] EncodeUpdate(ulong memberId, IReadOnlyList<string> peerUrls)
    {
        using var buffer = new MemoryStream();
        buffer.WriteByte(UpdatePeersType);
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(memberId);
            w.Write(peerUrls.Count);
            foreach (var url in peerUrls)
            {
                w.Write(url);
            }
        }
        return buffer.ToArray();
    }

    public object Apply(ulong index, ulong term, ReadOnlySpan<byte> command)
    {
        if (command.Length > 0 && command[0] == UpdatePeersType)
        {
            using var r = new BinaryReader(new MemoryStream(command[1..].ToArray(), writable: false), Encoding.UTF8);
            var id = r.ReadUInt64();
            var urls = new string[Math.Clamp(r.ReadInt32(), 0, 1000)];
            for (var i = 0; i < urls.Length; i++)
            {
                urls[i] = r.ReadString();
            }
            if (membership.Find(id) is { } member)
            {
                membership.Set(member with { PeerUrls = urls });
            }
            mvcc.ApplyEmpty(index, term);
            return mvcc.CurrentHeader();
        }
        if (command.Length > 0 && command[0] == AttributesType)
        {
            using var r = new BinaryReader(new MemoryStream(command[1..].ToArray(), writable: false), Encoding.UTF8);
            var id = r.ReadUInt64();
            var name = r.ReadString();
            var urls = new string[Math.Clamp(r.ReadInt32(), 0, 1000)];
            for (var i = 0; i < urls.Length; i++)
            {
                urls[i] = r.ReadString();
            }
            if (membership.Find(id) is { } member)
            {
                membership.Set(member with { Name = name, ClientUrls = urls });
            }
            mvcc.ApplyEmpty(index, term);
            return mvcc.CurrentHeader();
        }
        return mvcc.Apply(index, term, command);
    }

    public void ApplyEmpty(ulong index, ulong term) => mvcc.ApplyEmpty(index, term);

    public void ApplyConfChange(ulong index, ulong term, ConfChange change, ConfState conf)
    {
        switch (change.Type)
        {
            case ConfChangeType.RemoveNode:
                membership.Remove(change.NodeId);
                break;
            case ConfChangeType.AddNode or ConfChangeType.AddLearnerNode:
                var known = membership.Find(change.NodeId);
                ClusterMember? described = null;
                if (change.Context is { Length: > 0 } ctx)
                {
                    using var r = new BinaryReader(new MemoryStream(ctx, writable: false), Encoding.UTF8);
                    described = ClusterMembership.DecodeMember(r);
                }
                var learner = Array.IndexOf(conf.Learners, change.NodeId) >= 0;
                if (known is not null)
                {
                    membership.Set(known with
                    {
                        IsLearner = learner,
                        PeerUrls = described is { PeerUrls.Count: > 0 } ? described.PeerUrls : known.PeerUrls,
                    });
                }
                else
                {
                    membership.Set((described ?? new ClusterMember(change.NodeId, "", [], [], learner)) with { IsLearner = learner });
                }
                break;
        }
        mvcc.ApplyEmpty(index, term);
    }

    public Action<Stream> CaptureSnapshot()
    {
        var members = membership.Encode();
        var inner = ((IStateMachine)mvcc).CaptureSnapshot();
        return s =>
        {
            s.Write(Magic);
            s.Write(BitConverter.GetBytes(members.Length));
            s.Write(members);
            inner(s);
        };
    }

    public void RestoreSnapshot(Stream source, ulong index, ulong term)
    {
        var head = new byte[4];
        source.ReadExactly(head);
        if (!head.AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException("The snapshot has no membership record (magic KCM1).");
        }
        source.ReadExactly(head);
        var length = BitConverter.ToInt32(head);
        if (length < 0 || length > 64 * 1024 * 1024)
        {
            throw new InvalidDataException($"The snapshot's membership record is {length} bytes.");
        }
        var members = new byte[length];
        source.ReadExactly(members);
        membership.ReplaceWith(ClusterMembership.Decode(members));
        mvcc.RestoreSnapshot(source, index, term);
    }
}
