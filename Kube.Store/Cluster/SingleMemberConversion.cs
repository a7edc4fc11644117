using Kube.Store.Raft.Core;
using Kube.Store.Wal;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Cluster;

/// <summary>
/// Turns a single-member data dir (the <see cref="WriteAheadLog"/> in <c>wal/</c>, state snapshots in <c>snap/</c>) into the data dir
/// of a one-voter replicated member (a Raft log in <c>raft/log</c>, <c>snap/</c> with the membership, <c>member/cluster</c>), at the
/// first membership change, as etcd's single member already is a one-voter Raft cluster.
/// </summary>
/// <remarks>
/// <para>Crash safety: the new files are written and fsynced under <c>grow.tmp/</c>; moving <c>grow.tmp/member</c> to
/// <c>member</c> is the commit point (<see cref="ReplicatedMemberBootstrap.IsReplicatedDataDir"/> turns true). After it,
/// <see cref="Finish"/> swaps <c>snap/</c> and <c>raft/</c> in and deletes <c>wal/</c>, each step idempotent, so a crash at any point
/// leaves either the old single-member dir (a stale <c>grow.tmp/</c> is deleted) or a replicated dir that <see cref="Finish"/>
/// completes at the next start.</para>
/// <para>The log starts with a snapshot at the single member's last index, term 1, the member the only voter; the HardState is
/// term 1, vote self, commit at that index. The member keeps its id and cluster id.</para>
/// </remarks>
internal static class SingleMemberConversion
{
    private const string Staging = "grow.tmp";

    /// <summary>The term the single-member WAL writes every entry at.</summary>
    public const ulong SingleMemberTerm = 1;

    /// <summary>
    /// Writes the replicated layout for state applied up to <paramref name="index"/> (<paramref name="writeSnapshot"/> writes it in the
    /// replicated state machine's snapshot format), commits it and finishes the swap. The single-member WAL must be closed.
    /// </summary>
    public static void Convert(string dataDir, ulong index, ulong memberId, ClusterMembership membership, Action<Stream> writeSnapshot, ILogger logger)
    {
        var staging = Path.Combine(dataDir, Staging);
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }
        Directory.CreateDirectory(staging);
        new SnapshotStore(Path.Combine(staging, "snap"), logger).Save(index, SingleMemberTerm, writeSnapshot);
        var log = Path.Combine(staging, "raft", "log");
        using (var wal = RaftWal.Open(log, logger, _ => throw new InvalidDataException("new log"), _ => { }, (_, _, _) => { }))
        {
            wal.Rewrite(new RaftSnapshot(index, SingleMemberTerm, new ConfState([memberId], []), []),
                new HardState(SingleMemberTerm, memberId, index), []);
        }
        ReplicatedMemberBootstrap.WriteIdentity(ReplicatedMemberBootstrap.IdentityFile(staging), memberId, membership);
        DirectorySync.Flush(staging);
        Directory.Move(Path.Combine(staging, "member"), Path.Combine(dataDir, "member"));
        DirectorySync.Flush(dataDir);
        logger.LogInformation("Data dir {DataDir} converted to a one-voter Raft member at index {Index}", dataDir, index);
        Finish(dataDir);
    }

    /// <summary>
    /// Completes (after the commit point) or discards (before it) a conversion that a crash interrupted; does nothing otherwise.
    /// Call before opening <paramref name="dataDir"/> either way.
    /// </summary>
    public static void Finish(string dataDir)
    {
        var staging = Path.Combine(dataDir, Staging);
        if (!Directory.Exists(staging))
        {
            return;
        }
        if (ReplicatedMemberBootstrap.IsReplicatedDataDir(dataDir))
        {
            foreach (var part in new[] { "snap", "raft" })
            {
                var from = Path.Combine(staging, part);
                if (Directory.Exists(from))
                {
                    var to = Path.Combine(dataDir, part);
                    if (Directory.Exists(to))
                    {
                        Directory.Delete(to, recursive: true);
                    }
                    Directory.Move(from, to);
                    DirectorySync.Flush(dataDir);
                }
            }
            var wal = Path.Combine(dataDir, "wal");
            if (Directory.Exists(wal))
            {
                Directory.Delete(wal, recursive: true);
            }
        }
        Directory.Delete(staging, recursive: true);
        DirectorySync.Flush(dataDir);
    }
}
