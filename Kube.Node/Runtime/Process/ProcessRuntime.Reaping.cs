using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Runtime.Process;

// The process runtime's reaping: noticing how containers' processes ended, and killing what no container accounts for.
public sealed partial class ProcessRuntime
{
    /// <summary>Kills the process groups carrying this runtime's marker that no running container accounts for.</summary>
    private void KillUnknownProcesses()
    {
        var known = _containers.Values
            .Where(e => e.Container.State == ContainerState.Running && e.Container.Pid is not null)
            .Select(e => e.Container.Pid!.Value)
            .ToHashSet();
        var prefix = $"{MarkerVariable}={_runtimeId}:";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId || known.Contains(pid))
            {
                continue;
            }

            string environ;
            try
            {
                environ = File.ReadAllText(Path.Combine(dir, "environ"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            var marker = environ.Split('\0').FirstOrDefault(v => v.StartsWith(prefix, StringComparison.Ordinal));
            if (marker is not null && ProcStat.ProcessGroup(pid) is int pgid && !known.Contains(pgid))
            {
                _logger.LogWarning("Killing process group {Pgid} of unknown container {Container}: the runtime's state does not account for it", pgid, marker[prefix.Length..]);
                SignalGroup(pgid, LibC.SIGKILL);
            }
        }
    }

    private async Task ReapLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.ReapInterval, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                lock (_lock)
                {
                    foreach (var sandbox in _sandboxes.Values)
                    {
                        var changed = false;
                        foreach (var c in sandbox.Containers)
                        {
                            changed |= CheckExited(c);
                        }

                        if (changed)
                        {
                            Save(sandbox);
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogError(ex, "Reaping containers failed");
            }
        }
    }

    private async Task<bool> WaitExitedAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + timeout;
        while (true)
        {
            lock (_lock)
            {
                if (!_containers.TryGetValue(containerId, out var entry))
                {
                    return true;
                }

                if (CheckExited(entry.Container))
                {
                    Save(entry.Sandbox);
                }

                if (entry.Container.State != ContainerState.Running)
                {
                    return true;
                }
            }

            if (_time.GetUtcNow() >= deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Under the lock: notices that a running container's process ended, records how, and kills what is left of its group.</summary>
    private bool CheckExited(ContainerRecord c)
    {
        if (c.State != ContainerState.Running || c.Pid is not int pid)
        {
            return false;
        }

        var rc = LibC.WaitPid(pid, out var status, LibC.WNOHANG);
        if (rc == pid)
        {
            // What it wrote before it exited is in its log by the time its exit is reported.
            _pump?.Drain(c.Id);
            var code = LibC.DecodeWaitStatus(status);
            var oom = code == 128 + LibC.SIGKILL && c.CgroupPaths.Count > 0 && CgroupManager.WasOomKilled(c.CgroupPaths);
            MarkExited(c, code, oom ? "OOMKilled" : code == 0 ? "Completed" : "Error", null);
            SignalGroup(pid, LibC.SIGKILL);
            c.CgroupPaths = CgroupManager.Remove(c.CgroupPaths);
            return true;
        }

        if (rc == 0)
        {
            return false;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno != LibC.ECHILD)
        {
            return false;
        }

        // Not our child: it was adopted from a previous runtime instance; only /proc can tell whether it lives.
        if (ProcStat.IsAlive(pid, c.PidStartTicks))
        {
            return false;
        }

        _pump?.Drain(c.Id);
        MarkExited(c, null, "ContainerStatusUnknown", "The container's process ended while adopted from a previous agent; its exit code is unknown");
        SignalGroup(pid, LibC.SIGKILL);
        return true;
    }

    private void MarkExited(ContainerRecord c, int? exitCode, string reason, string? message)
    {
        c.State = ContainerState.Exited;
        c.ExitCode = exitCode;
        c.Reason = reason;
        c.Message = message;
        c.FinishedAt = _time.GetUtcNow();
        c.Adopted = false;
    }

    private static void SignalGroup(int pid, int signal)
    {
        if (LibC.Kill(-pid, signal) != 0)
        {
            LibC.Kill(pid, signal);
        }
    }
}
