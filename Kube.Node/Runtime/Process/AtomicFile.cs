namespace Kube.Node.Runtime.Process;

/// <summary>
/// Writes a file so that a crash of this process leaves either the old or the new content, never half of it (write to
/// a temporary file, then rename over the target).
/// </summary>
/// <remarks>
/// No fsync: the runtime's state files describe processes of this machine's current boot, and they only have to survive
/// the agent dying (the page cache keeps what was written). After a power loss or kernel crash every container process
/// is gone anyway, and the runtime's start-up check (pid plus /proc start time) marks them exited; a file the crash left
/// empty is skipped as unreadable. An fsync per state change cost ~4-7 ms on this machine's disk, taken under the
/// runtime's lock, so a batch of pods starting together queued behind each other's syncs.
/// </remarks>
internal static class AtomicFile
{
    public static void WriteAllText(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, content);
        File.Move(tmp, path, overwrite: true);
    }
}
