using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Host.Cluster;

/// <summary>
/// Stops the host gracefully when the process that started kube-host goes away (its parent pid changes, as
/// when a script's background job or <c>dotnet run</c> is killed), so pod processes are never left behind.
/// Disabled by <c>--exit-with-parent=false</c> (for <c>nohup</c>-style use).
/// </summary>
internal sealed partial class ParentWatch(IHostApplicationLifetime lifetime, ILogger<ParentWatch> logger) : BackgroundService
{
    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentPid();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!OperatingSystem.IsLinux()) return;
        var parent = GetParentPid();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (GetParentPid() == parent) continue;
            logger.LogWarning("Parent process {Pid} exited; stopping kube-host", parent);
            lifetime.StopApplication();
            return;
        }
    }
}
