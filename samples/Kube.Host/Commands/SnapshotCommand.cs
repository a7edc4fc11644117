using System.CommandLine;
using Kube.Store.Etcd.Snapshot;

namespace Kube.Host.Commands;

/// <summary>
/// <c>kube-host snapshot restore FILE [--data-dir DIR] [--name NAME]</c>: rebuilds a store member's data directory from a file
/// saved with <c>etcdctl snapshot save</c> against a kube-host store (disaster recovery), with etcdctl's flag names and defaults.
/// </summary>
internal static class SnapshotCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "The snapshot file, saved with 'etcdctl snapshot save' from a kube-host store member." };
        var name = new Option<string>("--name") { Description = "Human-readable name for the restored member.", DefaultValueFactory = _ => "default" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Path to the data directory to create (must be new or empty; default: NAME.etcd)." };

        var restore = new Command("restore", "Restore a member's data directory from a snapshot (as 'etcdctl snapshot restore').") { file, name, dataDir };
        restore.SetAction(async (parse, ct) =>
        {
            var memberName = parse.GetValue(name)!;
            var dir = parse.GetValue(dataDir) is { Length: > 0 } given ? given : memberName + ".etcd";
            try
            {
                var result = await SnapshotRestore.RestoreAsync(parse.GetValue(file)!, dir, new Progress(), ct);
                Console.WriteLine($"restored snapshot at revision {result.Revision} ({result.Keys} keys, compacted at {result.CompactRevision}) into {result.DataDir}");
                Console.WriteLine($"start the member with: kube-host store --name {memberName} --data-dir {result.DataDir}");
                return 0;
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
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
