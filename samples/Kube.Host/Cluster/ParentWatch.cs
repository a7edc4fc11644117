using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Host.Cluster;

/// <summary>
/// Stops the host gracefully when the process that started kube-host goes away (its parent pid changes, as
/// when a script's background job or <c>dotnet run</c> is killed), so pod processes are never left behind.
/// From then on, standard output and error go to <c>DIR/kube-host-orphaned.log</c>: whoever read them is gone,
/// a pipe may be broken, and a file the launcher reuses for the next instance must not be written into.
/// Disabled by <c>--exit-with-parent=false</c> (for <c>nohup</c>-style use).
/// </summary>
internal sealed partial class ParentWatch(IHostApplicationLifetime lifetime, ParentWatchOptions options, ILogger<ParentWatch> logger)
    : BackgroundService
{
    private const int O_WRONLY = 0x1, O_CREAT = 0x40, O_APPEND = 0x400;

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentPid();

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int oldFd, int newFd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!OperatingSystem.IsLinux()) return;
        var parent = GetParentPid();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (GetParentPid() == parent) continue;
            var log = Path.Combine(options.DataDir, "kube-host-orphaned.log");
            var fd = Open(log, O_WRONLY | O_CREAT | O_APPEND, Convert.ToInt32("600", 8));
            if (fd >= 0)
            {
                Dup2(fd, 1);
                Dup2(fd, 2);
                Close(fd);
            }
            logger.LogWarning("Parent process {Pid} exited; stopping kube-host (output continues in {Log})", parent, log);
            lifetime.StopApplication();
            return;
        }
    }
}
