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

    /// <summary>
    /// Points fds 1 and 2, and every duplicate of them, at <paramref name="fd"/>. .NET writes the console through its
    /// own dup of fd 1/2, so replacing 1 and 2 alone would not move the output.
    /// </summary>
    private static void RedirectStandardStreams(int fd)
    {
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var std in new[] { 1, 2 })
        {
            var t = LinkTarget(std);
            if (t is not null) targets.Add(t);
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var n) || n == fd) continue;
            if (n is 1 or 2 || (LinkTarget(n) is { } t && targets.Contains(t))) Dup2(fd, n);
        }
    }

    private static string? LinkTarget(int fd)
    {
        try { return new FileInfo($"/proc/self/fd/{fd}").LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

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
                RedirectStandardStreams(fd);
                Close(fd);
            }
            logger.LogWarning("Parent process {Pid} exited; stopping kube-host (output continues in {Log})", parent, log);
            lifetime.StopApplication();
            return;
        }
    }
}
