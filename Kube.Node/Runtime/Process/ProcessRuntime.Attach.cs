using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Kube.Node.Runtime.Process;

// The process runtime's container stdio for attach: a container with stdin gets a pipe whose write end this runtime keeps; a container
// with tty runs on a pseudo-terminal whose master this runtime keeps and copies into the container's log. Both live in this process:
// a container adopted after an agent restart has lost them (its input read end-of-file when the agent went, its terminal hung up).
// A container without tty writes its stdout and stderr to FIFOs of the output pump, which it holds itself: they survive a restart.
public sealed partial class ProcessRuntime : IAttachRuntime
{
    /// <summary>The stdio this runtime holds for running containers, by container id (under <see cref="_lock"/>).</summary>
    private readonly Dictionary<string, ContainerStdio> _stdio = new(StringComparer.Ordinal);

    public ContainerInput? OpenInput(string containerId)
    {
        lock (_lock)
        {
            var (_, c) = Find(containerId);
            if (c.State != ContainerState.Running)
            {
                throw new InvalidOperationException($"container {c.Name} is not running");
            }

            if (!c.Stdin)
            {
                return null;
            }

            if (!_stdio.TryGetValue(containerId, out var io))
            {
                throw new InvalidOperationException($"the standard input of container {c.Name} was lost when the node agent restarted");
            }

            if (io.InputClosed)
            {
                throw new InvalidOperationException($"the standard input of container {c.Name} was closed after its first attach (stdinOnce)");
            }

            return new ProcessContainerInput(io);
        }
    }

    /// <summary>Under the lock: spawns the container with the stdio its stdin and tty settings ask for; returns the pid.</summary>
    private int SpawnContainer(ContainerRecord c, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workDir)
    {
        if (c.Tty)
        {
            PseudoTerminal pty;
            try
            {
                pty = PseudoTerminal.Open(0, 0);
            }
            catch (InvalidOperationException ex)
            {
                throw new IOException(ex.Message, ex);
            }

            int pid;
            try
            {
                pid = ProcessSpawner.SpawnOnTerminal(argv, env, workDir, pty.SlavePath);
            }
            catch
            {
                pty.Dispose();
                throw;
            }

            var io = new ContainerStdio(null, pty, c.StdinOnce);
            _stdio[c.Id] = io;
            // Blocking reads for the container's lifetime: a thread of its own, not one of the pool's.
            _ = Task.Factory.StartNew(() => CopyTerminalToLog(io, c.LogPath, c.Name), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            return pid;
        }

        if (!c.Stdin)
        {
            return SpawnWithOutput(c, argv, env, workDir, -1);
        }

        var (read, write) = OpenPipe();
        try
        {
            var pid = SpawnWithOutput(c, argv, env, workDir, read);
            _stdio[c.Id] = new ContainerStdio(write, null, c.StdinOnce);
            return pid;
        }
        catch
        {
            write.Dispose();
            throw;
        }
        finally
        {
            LibC.Close(read);
        }
    }

    /// <summary>Under the lock: spawns a container without a terminal, its stdout and stderr through the output pump (or into its log when there is none).</summary>
    private int SpawnWithOutput(ContainerRecord c, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workDir, int stdinFd)
    {
        if (_pump is null)
        {
            return stdinFd < 0 ? ProcessSpawner.Spawn(argv, env, workDir, c.LogPath) : ProcessSpawner.SpawnWithInput(argv, env, workDir, stdinFd, c.LogPath);
        }

        _pump.Prepare(c.Id, c.LogPath);
        try
        {
            return ProcessSpawner.SpawnWithFifos(argv, env, workDir, stdinFd, _pump.FifoPath(c.Id, stderr: false), _pump.FifoPath(c.Id, stderr: true));
        }
        catch
        {
            _pump.Remove(c.Id);
            throw;
        }
    }

    public ContainerOutput? OpenOutput(string containerId)
    {
        lock (_lock)
        {
            var (_, c) = Find(containerId);
            if (c.State != ContainerState.Running)
            {
                throw new InvalidOperationException($"container {c.Name} is not running");
            }
        }

        return _pump?.Subscribe(containerId);
    }

    /// <summary>Under the lock: lets go of a removed container's stdio.</summary>
    private void ReleaseStdio(string containerId)
    {
        if (_stdio.Remove(containerId, out var io))
        {
            io.Dispose();
        }

        _pump?.Remove(containerId);
    }

    private static unsafe (int Read, SafeFileHandle Write) OpenPipe()
    {
        var fds = stackalloc int[2];
        if (LibC.Pipe2(fds, LibC.O_CLOEXEC) != 0)
        {
            throw new IOException($"could not create the standard input pipe: errno {Marshal.GetLastPInvokeError()}");
        }

        return (fds[0], new SafeFileHandle(fds[1], ownsHandle: true));
    }

    /// <summary>Appends what the container's terminal shows to its log, until no process has the terminal open any more.</summary>
    private void CopyTerminalToLog(ContainerStdio io, string logPath, string name)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            using var log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            int n;
            while ((n = io.Terminal!.Read(buffer, () => io.Disposed, CancellationToken.None)) > 0)
            {
                log.Write(buffer, 0, n);
                log.Flush();
            }
        }
        catch (IOException ex)
        {
            _logger.LogWarning(ex, "Copying the terminal of container {Container} to its log failed", name);
        }
    }

    /// <summary>A running container's input: the write end of its stdin pipe, or its terminal's master.</summary>
    private sealed class ContainerStdio(SafeFileHandle? pipe, PseudoTerminal? terminal, bool stdinOnce) : IDisposable
    {
        private readonly Lock _gate = new();
        private FileStream? _pipe = pipe is null ? null : new FileStream(pipe, FileAccess.Write, bufferSize: 0);

        public PseudoTerminal? Terminal { get; } = terminal;

        public bool InputClosed { get; private set; }

        public bool Disposed { get; private set; }

        public void Write(ReadOnlySpan<byte> data)
        {
            lock (_gate)
            {
                if (InputClosed || Disposed)
                {
                    throw new IOException("the container's standard input is closed");
                }

                if (Terminal is not null)
                {
                    Terminal.Write(data);
                }
                else
                {
                    _pipe!.Write(data);
                }
            }
        }

        /// <summary>The end of an attach session: with stdinOnce the container's input ends (end-of-file, or Ctrl-D on a terminal).</summary>
        public void EndSession()
        {
            lock (_gate)
            {
                if (!stdinOnce || InputClosed || Disposed)
                {
                    return;
                }

                InputClosed = true;
                if (Terminal is not null)
                {
                    try
                    {
                        Terminal.Write([0x04]);
                    }
                    catch (IOException)
                    {
                    }
                }
                else
                {
                    _pipe?.Dispose();
                    _pipe = null;
                }
            }
        }

        public void Resize(TerminalSize size) => Terminal?.Resize(size.Width, size.Height);

        public void Dispose()
        {
            lock (_gate)
            {
                Disposed = true;
                _pipe?.Dispose();
                _pipe = null;
                Terminal?.Dispose();
            }
        }
    }

    private sealed class ProcessContainerInput(ContainerStdio io) : ContainerInput
    {
        private int _ended;

        public override bool IsTerminal => io.Terminal is not null;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            io.Write(data.Span);
            return ValueTask.CompletedTask;
        }

        public override void Resize(TerminalSize size) => io.Resize(size);

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _ended, 1) == 0)
            {
                io.EndSession();
            }
        }
    }
}
