using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Kube.Node.Runtime.Process;

/// <summary>
/// A pseudo-terminal pair from posix_openpt: this process keeps the master; a child opens <see cref="SlavePath"/> as its
/// terminal. Reads poll with a short timeout so that a reader never blocks past <see cref="Dispose"/> or a cancellation.
/// </summary>
internal sealed class PseudoTerminal : IDisposable
{
    private static readonly TimeSpan PollSlice = TimeSpan.FromMilliseconds(100);
    private readonly SafeFileHandle _master;

    private PseudoTerminal(SafeFileHandle master, string slavePath)
    {
        _master = master;
        SlavePath = slavePath;
    }

    /// <summary>The slave's path, <c>/dev/pts/N</c>.</summary>
    public string SlavePath { get; }

    /// <summary>Opens a new pty whose window is <paramref name="width"/> columns by <paramref name="height"/> rows (0 x 0 when unknown).</summary>
    /// <exception cref="InvalidOperationException">No pty could be allocated (e.g. /dev/pts is not mounted).</exception>
    public static unsafe PseudoTerminal Open(ushort width, ushort height)
    {
        var fd = LibC.PosixOpenPt(LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw new InvalidOperationException($"could not allocate a pseudo-terminal: posix_openpt failed with errno {Marshal.GetLastPInvokeError()}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (LibC.GrantPt(fd) != 0 || LibC.UnlockPt(fd) != 0)
            {
                throw new InvalidOperationException($"could not unlock the pseudo-terminal: errno {Marshal.GetLastPInvokeError()}");
            }

            var buffer = stackalloc byte[128];
            var rc = LibC.PtsNameR(fd, buffer, 128);
            if (rc != 0)
            {
                throw new InvalidOperationException($"ptsname_r failed with errno {rc}");
            }

            var pty = new PseudoTerminal(handle, Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(buffer)));
            pty.Resize(width, height);
            return pty;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Sets the window size (TIOCSWINSZ on the master); the kernel sends SIGWINCH to the terminal's foreground process group.</summary>
    public void Resize(ushort width, ushort height)
    {
        if (!TryAddRef())
        {
            return;
        }

        try
        {
            var size = new LibC.WinSize { Cols = width, Rows = height };
            _ = LibC.IoctlWinSize((int)_master.DangerousGetHandle(), LibC.TIOCSWINSZ, ref size);
        }
        finally
        {
            _master.DangerousRelease();
        }
    }

    /// <summary>
    /// Puts the terminal in raw mode (cfmakeraw: no echo, no line editing, no signals, no output processing), for a pty
    /// that only relays another terminal, e.g. a container's console, whose own line discipline does that work.
    /// </summary>
    /// <remarks>Linux keeps the slave's termios apart from the master's, and the slave's is what the processes' output goes through.</remarks>
    public unsafe void MakeRaw()
    {
        var fd = LibC.Open(SlavePath, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw new InvalidOperationException($"could not open {SlavePath}: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            var termios = stackalloc byte[LibC.TermiosSize];
            if (LibC.TcGetAttr(fd, termios) == 0)
            {
                LibC.CfMakeRaw(termios);
                _ = LibC.TcSetAttr(fd, 0 /* TCSANOW */, termios);
            }
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    /// <summary>The current window size as (columns, rows).</summary>
    public (ushort Width, ushort Height) Size
    {
        get
        {
            var size = default(LibC.WinSize);
            if (!TryAddRef())
            {
                return (0, 0);
            }

            try
            {
                _ = LibC.IoctlWinSize((int)_master.DangerousGetHandle(), LibC.TIOCGWINSZ, ref size);
                return (size.Cols, size.Rows);
            }
            finally
            {
                _master.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Blocking read of what the terminal's processes wrote. Returns 0 at end: the slave is closed everywhere (EIO),
    /// the pty is disposed, or <paramref name="stop"/> says so after a poll found nothing to read.
    /// </summary>
    public unsafe int Read(Memory<byte> buffer, Func<bool> stop, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!TryAddRef())
            {
                return 0;
            }

            try
            {
                var fd = (int)_master.DangerousGetHandle();
                var poll = new LibC.PollFd { Fd = fd, Events = LibC.POLLIN };
                var ready = LibC.Poll(ref poll, 1, (int)PollSlice.TotalMilliseconds);
                if (ready < 0)
                {
                    if (Marshal.GetLastPInvokeError() == LibC.EINTR)
                    {
                        continue;
                    }

                    return 0;
                }

                if (ready == 0)
                {
                    if (stop())
                    {
                        return 0;
                    }

                    continue;
                }

                using var pin = buffer.Pin();
                var n = LibC.Read(fd, (byte*)pin.Pointer, (nuint)buffer.Length);
                if (n > 0)
                {
                    return (int)n;
                }

                if (n < 0 && Marshal.GetLastPInvokeError() is LibC.EINTR or LibC.EAGAIN)
                {
                    continue;
                }

                return 0; // EIO: no process has the slave open any more.
            }
            finally
            {
                _master.DangerousRelease();
            }
        }
    }

    /// <summary>Writes all of <paramref name="data"/> to the terminal's input.</summary>
    /// <exception cref="IOException">The terminal is closed.</exception>
    public unsafe void Write(ReadOnlySpan<byte> data)
    {
        if (!TryAddRef())
        {
            throw new IOException("the terminal is closed");
        }

        try
        {
            var fd = (int)_master.DangerousGetHandle();
            fixed (byte* p = data)
            {
                var done = 0;
                while (done < data.Length)
                {
                    var n = LibC.Write(fd, p + done, (nuint)(data.Length - done));
                    if (n < 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == LibC.EINTR)
                        {
                            continue;
                        }

                        throw new IOException($"writing to the terminal failed with errno {errno}");
                    }

                    done += (int)n;
                }
            }
        }
        finally
        {
            _master.DangerousRelease();
        }
    }

    public void Dispose() => _master.Dispose();

    private bool TryAddRef()
    {
        if (_master.IsClosed)
        {
            return false;
        }

        var added = false;
        try
        {
            _master.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
        }

        return added;
    }
}
