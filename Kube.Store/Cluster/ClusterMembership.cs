using System.Text;

namespace Kube.Store.Cluster;

/// <summary>
/// The replicated member registry (etcd's RaftCluster): the cluster id and every member's id, name, peer and client URLs.
/// Changed only by applied log entries (and seeded from <c>--initial-cluster</c> on first start); thread-safe for readers.
/// </summary>
internal sealed class ClusterMembership
{
    private readonly Lock _gate = new();
    private Dictionary<ulong, ClusterMember> _members = [];
    private HashSet<ulong> _removed = [];

    public ClusterMembership(ulong clusterId, IEnumerable<ClusterMember> members)
    {
        ClusterId = clusterId;
        foreach (var m in members)
        {
            _members[m.Id] = m;
        }
    }

    public ulong ClusterId { get; private set; }

    /// <summary>Raised (on the applying thread) after any change.</summary>
    public event Action<ClusterMembership>? Changed;

    /// <summary>The members ordered by id.</summary>
    public IReadOnlyList<ClusterMember> Members
    {
        get
        {
            lock (_gate)
            {
                return [.. _members.Values.OrderBy(m => m.Id)];
            }
        }
    }

    public ClusterMember? Find(ulong id)
    {
        lock (_gate)
        {
            return _members.GetValueOrDefault(id);
        }
    }

    public void Set(ClusterMember member)
    {
        lock (_gate)
        {
            _members[member.Id] = member;
        }
        Changed?.Invoke(this);
    }

    /// <summary>Whether <paramref name="id"/> was a member and has been removed (etcd keeps these ids so it can tell a removed member so).</summary>
    public bool IsRemoved(ulong id)
    {
        lock (_gate)
        {
            return _removed.Contains(id);
        }
    }

    public void Remove(ulong id)
    {
        lock (_gate)
        {
            if (_members.Remove(id))
            {
                _removed.Add(id);
            }
        }
        Changed?.Invoke(this);
    }

    /// <summary>Replaces everything with <paramref name="other"/>'s content (a snapshot install).</summary>
    public void ReplaceWith(ClusterMembership other)
    {
        lock (_gate)
        {
            ClusterId = other.ClusterId;
            _members = other.Members.ToDictionary(m => m.Id);
            _removed = [.. other.RemovedIds];
        }
        Changed?.Invoke(this);
    }

    /// <summary>The ids of removed members.</summary>
    public IReadOnlyList<ulong> RemovedIds
    {
        get
        {
            lock (_gate)
            {
                return [.. _removed.Order()];
            }
        }
    }

    /// <summary>
    /// Layout: u64 cluster id, i32 count, then per member: u64 id, string name, bool learner, string[] peer URLs, string[] client URLs;
    /// then (optional, absent in records written before it existed) i32 count and the removed ids.
    /// </summary>
    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            var members = Members;
            w.Write(ClusterId);
            w.Write(members.Count);
            foreach (var m in members)
            {
                EncodeMember(w, m);
            }
            var removed = RemovedIds;
            w.Write(removed.Count);
            foreach (var id in removed)
            {
                w.Write(id);
            }
        }
        return buffer.ToArray();
    }

    public static ClusterMembership Decode(ReadOnlySpan<byte> data)
    {
        using var r = new BinaryReader(new MemoryStream(data.ToArray(), writable: false), Encoding.UTF8);
        var clusterId = r.ReadUInt64();
        var count = r.ReadInt32();
        if (count is < 0 or > 10_000)
        {
            throw new InvalidDataException($"A membership record names {count} members.");
        }
        var members = new List<ClusterMember>(count);
        for (var i = 0; i < count; i++)
        {
            members.Add(DecodeMember(r));
        }
        var decoded = new ClusterMembership(clusterId, members);
        if (r.BaseStream.Position < r.BaseStream.Length)
        {
            var removed = r.ReadInt32();
            if (removed is < 0 or > 100_000)
            {
                throw new InvalidDataException($"A membership record names {removed} removed members.");
            }
            for (var i = 0; i < removed; i++)
            {
                decoded._removed.Add(r.ReadUInt64());
            }
        }
        return decoded;
    }

    public static void EncodeMember(BinaryWriter w, ClusterMember m)
    {
        w.Write(m.Id);
        w.Write(m.Name);
        w.Write(m.IsLearner);
        WriteList(w, m.PeerUrls);
        WriteList(w, m.ClientUrls);
    }

    public static ClusterMember DecodeMember(BinaryReader r) => new(r.ReadUInt64(), r.ReadString(), IsLearner: r.ReadBoolean(), PeerUrls: ReadList(r), ClientUrls: ReadList(r));

    private static void WriteList(BinaryWriter w, IReadOnlyList<string> items)
    {
        w.Write(items.Count);
        foreach (var s in items)
        {
            w.Write(s);
        }
    }

    private static string[] ReadList(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n is < 0 or > 1000)
        {
            throw new InvalidDataException($"A member record has {n} URLs.");
        }
        var list = new string[n];
        for (var i = 0; i < n; i++)
        {
            list[i] = r.ReadString();
        }
        return list;
    }
}
