using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Runtime.Process;

// The process runtime's exec: a probe's command to completion (ExecSync) and a streaming exec with pipes or a terminal.
public sealed partial class ProcessRuntime
{
    public async Task<ExecResult> ExecSyncAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            return new ExecResult(-1, "no command", false);
        }

        int pid;
        string outputPath;
        lock (_lock)
        {
            var (sandbox, c) = Find(containerId);
            if (c.State != ContainerState.Running)
            {
                return new ExecResult(-1, $"container {c.Name} is not running", false);
            }

            outputPath = Path.Combine(sandbox.WorkingDirectory, "logs", $".exec-{Guid.NewGuid():N}");
            try
            {
                var argv = c.Mounts.Count > 0 && c.Pid is int target ? MountNamespaceScript.Enter(target, command) : command;
                pid = ProcessSpawner.Spawn(argv, BuildEnvironment(sandbox, c), c.WorkingDir is { Length: > 0 } wd ? wd : sandbox.WorkingDirectory, outputPath);
            }
            catch (ProcessSpawnException ex)
            {
                return new ExecResult(-1, ex.Message, false);
            }
        }

        try
        {
            var deadline = _time.GetUtcNow() + timeout;
            while (true)
            {
                var rc = LibC.WaitPid(pid, out var status, LibC.WNOHANG);
                if (rc == pid)
                {
                    SignalGroup(pid, LibC.SIGKILL);
                    return new ExecResult(LibC.DecodeWaitStatus(status), ReadHead(outputPath), false);
                }

                if (rc < 0 || _time.GetUtcNow() >= deadline || cancellationToken.IsCancellationRequested)
                {
                    SignalGroup(pid, LibC.SIGKILL);
                    var killDeadline = _time.GetUtcNow() + _options.KillTimeout;
                    while (LibC.WaitPid(pid, out _, LibC.WNOHANG) == 0 && _time.GetUtcNow() < killDeadline)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(5), _time, CancellationToken.None).ConfigureAwait(false);
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    return new ExecResult(-1, ReadHead(outputPath), TimedOut: rc >= 0);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(10), _time, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                File.Delete(outputPath);
            }
            catch (IOException)
            {
            }
        }
    }

    public Task<ExecProcess> StartExecAsync(string containerId, IReadOnlyList<string> command, TerminalSize? terminal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            throw new InvalidOperationException("no command given");
        }

        lock (_lock)
        {
            var (sandbox, c) = Find(containerId);
            if (c.State != ContainerState.Running || c.Pid is not int target)
            {
                throw new InvalidOperationException($"container {c.Name} is not running");
            }

            var argv = c.Mounts.Count > 0 ? MountNamespaceScript.Enter(target, command) : command;
            // With mounts nsenter -w moves to the container's directory; the host directory only has to exist.
            var workDir = c.Mounts.Count == 0 && c.WorkingDir is { Length: > 0 } wd ? wd : sandbox.WorkingDirectory;
            var env = BuildEnvironment(sandbox, c);
            return Task.FromResult(terminal is { } size
                ? ExecLauncher.StartOnTerminal(argv, env, workDir, size, _time, $"exec of \"{command[0]}\" in container {c.Name}")
                : ExecLauncher.StartPiped(argv, env, workDir, $"exec of \"{command[0]}\" in container {c.Name}"));
        }
    }

    private static string ReadHead(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var buffer = new byte[4096];
            var n = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
