using System.Runtime.InteropServices;

namespace Kube.Node.Runtime.Process;

/// <summary>
/// An exec on a pseudo-terminal: the process (a child of this one, leading its own session with the pty as controlling
/// terminal) was spawned by the caller; this owns the master side and reaps the child. Output is the master's reads
/// until the slave is closed everywhere, or, when a background process keeps it open, until the command has exited and
/// nothing more arrives within a poll slice.
/// </summary>
internal sealed class TerminalExecProcess : ExecProcess
{
    private static readonly TimeSpan ReapInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan ReapAfterKill = TimeSpan.FromSeconds(10);
    private readonly PseudoTerminal _pty;
    private readonly int _pid;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _disposed = new();

    public TerminalExecProcess(PseudoTerminal pty, int pid, TimeProvider time)
    {
        _pty = pty;
        _pid = pid;
        _time = time;
        Stdin = new TerminalStream(this, write: true);
        Stdout = new TerminalStream(this, write: false);
        _ = Task.Run(ReapAsync);
    }

    public override Stream Stdin { get; }

    public override Stream Stdout { get; }

    public override Stream Stderr => Stream.Null;

    public override bool IsTerminal => true;

    /// <summary>The pid of the command (or of the tool that runs it, e.g. ctr).</summary>
    public int Pid => _pid;

    public override void Resize(TerminalSize size) => _pty.Resize(size.Width, size.Height);

    public override Task<int> WaitForExitAsync(CancellationToken cancellationToken) => _exit.Task.WaitAsync(cancellationToken);

    public override void Kill()
    {
        if (!_exit.Task.IsCompleted && LibC.Kill(-_pid, LibC.SIGKILL) != 0)
        {
            LibC.Kill(_pid, LibC.SIGKILL);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed.IsCancellationRequested)
        {
            Kill();
            _disposed.Cancel();
            _pty.Dispose();
        }
    }

    private async Task ReapAsync()
    {
        DateTimeOffset? giveUp = null;
        while (true)
        {
            var rc = LibC.WaitPid(_pid, out var status, LibC.WNOHANG);
            if (rc == _pid)
            {
                _exit.TrySetResult(LibC.DecodeWaitStatus(status));
                return;
            }

            if (rc < 0 && Marshal.GetLastPInvokeError() != LibC.EINTR)
            {
                _exit.TrySetResult(-1);
                return;
            }

            if (_disposed.IsCancellationRequested)
            {
                giveUp ??= _time.GetUtcNow() + ReapAfterKill;
                if (_time.GetUtcNow() > giveUp)
                {
                    _exit.TrySetResult(-1);
                    return;
                }
            }

            await Task.Delay(ReapInterval, _time, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private sealed class TerminalStream(TerminalExecProcess owner, bool write) : Stream
    {
        public override bool CanRead => !write;

        public override bool CanSeek => false;

        public override bool CanWrite => write;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadCore(buffer.AsMemory(offset, count), CancellationToken.None);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Task.Run(() => ReadCore(buffer, cancellationToken), cancellationToken));

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (!write)
            {
                throw new NotSupportedException();
            }

            owner._pty.Write(buffer);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private int ReadCore(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (write)
            {
                throw new NotSupportedException();
            }

            return owner._pty.Read(buffer, () => owner._exit.Task.IsCompleted || owner._disposed.IsCancellationRequested, cancellationToken);
        }
    }
}
