using System.CommandLine;
using Kube.Store.Etcd.Snapshot;

namespace Kube.Host.Commands;

/// <summary>
/// <c>kube-host snapshot restore FILE [--data-dir DIR] [--name NAME] [--initial-cluster ...] [--initial-cluster-token T]
/// [--initial-advertise-peer-urls URLS] [--skip-hash-check]</c>: rebuilds a store member's data directory from a file saved with
/// <c>etcdctl snapshot save</c> against a kube-host store (disaster recovery), with etcdctl's flag names and defaults. Restoring
/// each member of a multi-member --initial-cluster from the same file forms a new cluster.
/// </summary>
internal static class SnapshotCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "The snapshot file, saved with 'etcdctl snapshot save' from a kube-host store member." };
        var name = new Option<string>("--name") { Description = "Human-readable name for the restored member.", DefaultValueFactory = _ => "default" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Path to the data directory to create (must be new or empty; default: NAME.etcd)." };
        var initialCluster = new Option<string?>("--initial-cluster") { Description = "Initial cluster configuration for the restored cluster (name=peerURL,...; default: NAME=http://localhost:2380)." };
        var clusterToken = new Option<string>("--initial-cluster-token") { Description = "Initial cluster token for the restored cluster.", DefaultValueFactory = _ => "etcd-cluster" };
        var advertisePeer = new Option<string>("--initial-advertise-peer-urls") { Description = "List of this member's peer URLs to advertise to the rest of the cluster.", DefaultValueFactory = _ => "http://localhost:2380" };
        var skipHash = new Option<bool>("--skip-hash-check") { Description = "Ignore snapshot integrity hash value (required if copied from data directory)." };

        var restore = new Command("restore", "Restore a member's data directory from a snapshot (as 'etcdctl snapshot restore').")
        {
            file, name, dataDir, initialCluster, clusterToken, advertisePeer, skipHash,
        };
        restore.SetAction(async (parse, ct) =>
        {
            var memberName = parse.GetValue(name)!;
            var dir = parse.GetValue(dataDir) is { Length: > 0 } given ? given : memberName + ".etcd";
            try
            {
                var options = new SnapshotRestoreOptions
                {
                    Name = memberName,
                    InitialCluster = parse.GetValue(initialCluster),
                    InitialClusterToken = parse.GetValue(clusterToken)!,
                    InitialAdvertisePeerUrls = parse.GetValue(advertisePeer)!,
                    SkipHashCheck = parse.GetValue(skipHash),
                };
                var result = await SnapshotRestore.RestoreAsync(parse.GetValue(file)!, dir, options, new Progress(), ct);
                Console.WriteLine($"restored snapshot at revision {result.Revision} ({result.Keys} keys, compacted at {result.CompactRevision}) into {result.DataDir}");
                Console.WriteLine(result.ClusterId == 0
                    ? $"start the member with: kube-host store --name {memberName} --data-dir {result.DataDir}"
                    : $"member {result.MemberId:x} of new cluster {result.ClusterId:x}; start it with: kube-host store --name {memberName} --data-dir {result.DataDir} " +
                      $"--initial-cluster {options.InitialCluster} --initial-cluster-token {options.InitialClusterToken} --initial-advertise-peer-urls {options.InitialAdvertisePeerUrls}");
                return 0;
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                Console.Error.WriteLine($"Error: {ex.Message}");
                return 1;
            }
        });

        return new Command("snapshot", "Manage store snapshots (as 'etcdctl snapshot').") { restore };
    }

    /// <summary>Prints restore progress synchronously, in order.</summary>
    private sealed class Progress : IProgress<string>
    {
        public void Report(string value) => Console.WriteLine(value);
    }
}
