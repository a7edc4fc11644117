using Kube.Store.Raft.Transport;
using Kube.Store.Wal;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Cluster;

/// <summary>
/// Works out who this member is before its log opens, as etcd does: from <c>member/cluster</c> in the data dir on a restart;
/// from <c>--initial-cluster</c> and the token for a new cluster; from a running member's registry for
/// <c>--initial-cluster-state existing</c>.
/// </summary>
internal static class ReplicatedMemberBootstrap
{
    /// <summary>What the member starts with: its id, the registry seed, and the founding voters (empty when joining or restarting).</summary>
    public sealed record Identity(ulong MemberId, ClusterMembership Membership, IReadOnlyList<ulong> InitialVoters);

    public static async Task<Identity> ResolveAsync(StoreOptions options, string dataDir, GrpcRaftTransport transport, ILogger logger,
        CancellationToken cancellationToken)
    {
        var file = IdentityFile(dataDir);
        if (File.Exists(file))
        {
            var bytes = await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
            if (bytes.Length < 8)
            {
                throw new InvalidDataException($"{file} is truncated.");
            }
            var id = BitConverter.ToUInt64(bytes);
            return new Identity(id, ClusterMembership.Decode(bytes.AsSpan(8)), []);
        }
        var parsed = ClusterIds.ParseInitialCluster(options.InitialCluster);
        var self = parsed.FirstOrDefault(m => m.Name == options.MemberName);
        if (self.Name is null)
        {
            throw new ArgumentException($"couldn't find local name \"{options.MemberName}\" in the initial cluster configuration");
        }
        Identity identity;
        if (options.InitialClusterState == "new")
        {
            var members = parsed.Select(m => new ClusterMember(ClusterIds.MemberId(m.PeerUrls, options.InitialClusterToken), m.Name, m.PeerUrls, [], false)).ToList();
            var duplicate = members.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                throw new ArgumentException($"--initial-cluster: members {string.Join(", ", duplicate.Select(m => m.Name))} have the same peer URLs.");
            }
            var membership = new ClusterMembership(ClusterIds.ClusterId(members.Select(m => m.Id)), members);
            identity = new Identity(ClusterIds.MemberId(self.PeerUrls, options.InitialClusterToken), membership, [.. members.Select(m => m.Id)]);
        }
        else
        {
            var others = parsed.Where(m => m.Name != options.MemberName).SelectMany(m => m.PeerUrls).Select(u => new Uri(u)).ToList();
            var fetched = await transport.FetchMembersAsync(others, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("cannot fetch cluster info from peer urls: could not retrieve cluster information from the given URLs");
            var membership = ClusterMembership.Decode(fetched);
            var mine = membership.Members.FirstOrDefault(m => m.PeerUrls.Intersect(self.PeerUrls).Any())
                ?? throw new InvalidOperationException(
                    $"member {options.MemberName} with peer URLs {string.Join(",", self.PeerUrls)} is not in the cluster: run 'etcdctl member add' first");
            identity = new Identity(mine.Id, membership, []);
        }
        WriteIdentity(file, identity.MemberId, identity.Membership);
        logger.LogInformation("Member {Name} is {Member:x} in cluster {Cluster:x} ({State})", options.MemberName, identity.MemberId,
            identity.Membership.ClusterId, options.InitialClusterState);
        return identity;
    }

    /// <summary>The file naming a replicated member (<c>member/cluster</c>: its id, then the membership it started with).</summary>
    public static string IdentityFile(string dataDir) => Path.Combine(dataDir, "member", "cluster");

    /// <summary>Whether <paramref name="dataDir"/> belongs to a member of a replicated store (Raft log, not the single-member WAL).</summary>
    public static bool IsReplicatedDataDir(string dataDir) => File.Exists(IdentityFile(dataDir));

    /// <summary>Writes <paramref name="file"/> durably: a temporary file, fsync, rename, directory fsync.</summary>
    public static void WriteIdentity(string file, ulong memberId, ClusterMembership membership)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var content = BitConverter.GetBytes(memberId).Concat(membership.Encode()).ToArray();
        var tmp = file + ".tmp";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, file, overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(file)!);
    }
}
