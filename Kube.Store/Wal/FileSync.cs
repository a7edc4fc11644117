using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Kube.Store.Wal;

/// <summary>
/// Makes a file's written data durable. On Linux this is <c>fdatasync</c>: the data, plus only the metadata needed to read
/// it back (the file size), without the timestamps that <c>fsync</c> also writes, so an append costs one journal commit at
/// most (as etcd's WAL and PostgreSQL's default <c>wal_sync_method</c> do). Elsewhere it is a full flush to disk.
/// </summary>
internal static partial class FileSync
{
    private const int EIntr = 4;

    public static void FlushData(FileStream file)
    {
        file.Flush(flushToDisk: false);
        if (!OperatingSystem.IsLinux())
        {
            file.Flush(flushToDisk: true);
            return;
        }
        while (FDataSync(file.SafeFileHandle) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                throw new IOException($"fdatasync of '{file.Name}' failed (errno {errno}).");
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(SafeFileHandle fd);
}
