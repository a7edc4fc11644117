using Kube.Store.Cluster;
using Kube.Store.Mvcc;
using Kube.Store.Raft.Core;
using Kube.Store.Wal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Store.Etcd.Snapshot;

/// <summary>Restoring a member of a new replicated cluster (etcdctl snapshot restore with a multi-member --initial-cluster).</summary>
public static partial class SnapshotRestore
{
    /// <summary>The new cluster a restored member belongs to: its own id and the registry built from the flags.</summary>
    private sealed record RestoredCluster(ulong Self, ClusterMembership Membership);

    /// <summary>
    /// Checks the options as etcd does and, when the initial cluster names more than one member, builds the new registry: member
    /// ids from each member's peer URLs and the token, the cluster id from the member ids (as a new cluster started with the same
    /// flags). Null for a single-member restore.
    /// </summary>
    private static RestoredCluster? NewCluster(SnapshotRestoreOptions options)
    {
        var initialCluster = options.InitialCluster is { Length: > 0 } given ? given : $"{options.Name}={options.InitialAdvertisePeerUrls}";
        var parsed = ClusterIds.ParseInitialCluster(initialCluster);
        var self = parsed.FirstOrDefault(m => m.Name == options.Name);
        if (self.Name is null)
        {
            throw new ArgumentException($"couldn't find local name \"{options.Name}\" in the initial cluster configuration");
        }
        var advertised = options.InitialAdvertisePeerUrls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => u.TrimEnd('/')).Order(StringComparer.Ordinal).ToList();
        if (!advertised.SequenceEqual(self.PeerUrls.Order(StringComparer.Ordinal)))
        {
            throw new ArgumentException(
                $"--initial-cluster has {options.Name}={string.Join(",", self.PeerUrls)} but missing from --initial-advertise-peer-urls={string.Join(",", advertised)}");
        }
        if (parsed.Count < 2)
        {
            return null;
        }
        var members = parsed.Select(m => new ClusterMember(ClusterIds.MemberId(m.PeerUrls, options.InitialClusterToken), m.Name, [.. m.PeerUrls], [], false)).ToList();
        if (members.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new ArgumentException($"--initial-cluster: members {string.Join(", ", duplicate.Select(m => m.Name))} have the same peer URLs.");
        }
        var membership = new ClusterMembership(ClusterIds.ClusterId(members.Select(m => m.Id)), members);
        return new RestoredCluster(members.Single(m => m.Name == options.Name).Id, membership);
    }

    /// <summary>
    /// Writes a replicated member's data dir as etcd's restore does: the state as a snapshot at index N (the number of members),
    /// term 1, whose configuration is every member as a voter; a Raft log holding that snapshot mark and HardState(term 1,
    /// commit N); and <c>member/cluster</c> (this member's id and the registry), so the member starts as part of the new cluster.
    /// </summary>
    private static void WriteReplicatedMember(string target, MvccState state, RestoredCluster cluster)
    {
        var members = cluster.Membership.Members;
        var index = (ulong)members.Count;
        const ulong term = 1;
        var snapshots = new SnapshotStore(Path.Combine(target, "snap"), NullLogger.Instance);
        snapshots.Save(index, term, new ReplicatedStateMachine(state, cluster.Membership).CaptureSnapshot());
        var conf = new ConfState([.. members.Select(m => m.Id).Order()], []);
        using (var wal = RaftWal.Open(Path.Combine(target, "raft", "log"), NullLogger.Instance, _ => { }, _ => { }, (_, _, _) => { }))
        {
            wal.Rewrite(new RaftSnapshot(index, term, conf, []), new HardState(term, 0, index), []);
        }
        var memberDir = Path.Combine(target, "member");
        Directory.CreateDirectory(memberDir);
        using (var stream = new FileStream(Path.Combine(memberDir, "cluster"), FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            stream.Write(BitConverter.GetBytes(cluster.Self));
            stream.Write(cluster.Membership.Encode());
            stream.Flush(flushToDisk: true);
        }
        DirectorySync.Flush(memberDir);
    }
}
