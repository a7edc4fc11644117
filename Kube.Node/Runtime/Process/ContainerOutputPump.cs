using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Runtime.Process;

/// <summary>
/// Carries non-terminal containers' stdout and stderr apart, as a CRI runtime's shim does, so that an attach gets them on their own
/// channels: each container writes to two FIFOs (<c>&lt;dir&gt;/&lt;container id&gt;.out</c> and <c>.err</c>) that it opens read-write
/// itself, and one thread of this pump reads every FIFO through epoll, appends what it reads to the container's log file (O_APPEND,
/// so size rotation in place keeps working) and hands it to the container's attach subscribers.
/// </summary>
/// <remarks>
/// <para>
/// The container holding its FIFOs read-write means it never gets SIGPIPE: while no pump reads (the agent restarts), its writes
/// wait once the pipe's buffer is full, and a new runtime over the same data directory reopens the FIFOs (<see cref="Adopt"/>) and
/// goes on; nothing buffered is lost while the container lives. A FIFO reads end-of-file once every process holding it has exited.
/// </para>
/// <para>
/// Order: each stream's bytes keep their order; between the two streams the log follows the order in which they became readable,
/// as upstream's runtimes copy the two streams independently. When the container's process has exited, <see cref="Drain"/> copies
/// what it left in the pipes before its exit is reported, so its log is complete by then. A subscriber that lags more than
/// <see cref="MaxSubscriberLag"/> bytes behind is ended (its attach sees the end of output) rather than holding the container's log back.
/// </para>
/// </remarks>
internal sealed class ContainerOutputPump : IDisposable
{
    /// <summary>How far an attach may fall behind the container's output before it is ended.</summary>
    public const int MaxSubscriberLag = 1024 * 1024;

    private const int MaxEvents = 64;
    private const int ChunkSize = 64 * 1024;
    private const ulong WakeKey = 0;

    private readonly string _dir;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, Source> _sources = [];
    private readonly Dictionary<string, Output> _outputs = new(StringComparer.Ordinal);
    private readonly byte[] _buffer = new byte[ChunkSize];
    private readonly int _epoll;
    private readonly int _wakeRead;
    private readonly int _wakeWrite;
    private readonly Thread _thread;
    private ulong _nextKey = 1;
    private volatile bool _disposed;

    public unsafe ContainerOutputPump(string dir, ILogger logger)
    {
        _dir = dir;
        _logger = logger;
        Directory.CreateDirectory(dir);
        _epoll = LibC.EpollCreate1(LibC.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var fds = stackalloc int[2];
        if (LibC.Pipe2(fds, LibC.O_CLOEXEC | LibC.O_NONBLOCK) != 0)
        {
            LibC.Close(_epoll);
            throw new IOException($"pipe2 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        (_wakeRead, _wakeWrite) = (fds[0], fds[1]);
        LibC.EpollAdd(_epoll, _wakeRead, WakeKey);
        _thread = new Thread(Run) { IsBackground = true, Name = "container output pump" };
        _thread.Start();
    }

    /// <summary>The FIFO a container opens read-write as its stdout (<paramref name="stderr"/> false) or stderr.</summary>
    public string FifoPath(string containerId, bool stderr) => Path.Combine(_dir, containerId + (stderr ? ".err" : ".out"));

    /// <summary>
    /// Before the container is spawned: makes its two FIFOs, opens their read ends and starts pumping them into <paramref name="logPath"/>.
    /// The container then opens <see cref="FifoPath"/> read-write as its fds 1 and 2.
    /// </summary>
    public void Prepare(string containerId, string logPath)
    {
        foreach (var stderr in new[] { false, true })
        {
            var path = FifoPath(containerId, stderr);
            File.Delete(path);
            if (LibC.MkFifo(path, 0x180 /* 0600 */) != 0)
            {
                throw new IOException($"mkfifo {path} failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        if (!Attach(containerId, logPath))
        {
            throw new IOException($"the output FIFOs of container {containerId} could not be opened");
        }
    }

    /// <summary>After an agent restart: resumes pumping a running container's FIFOs; false when it has none (it writes to its log itself, or on a terminal).</summary>
    public bool Adopt(string containerId, string logPath) =>
        File.Exists(FifoPath(containerId, false)) && File.Exists(FifoPath(containerId, true)) && Attach(containerId, logPath);

    /// <summary>Copies what the container's FIFOs hold now into its log and subscribers (call when its process has exited).</summary>
    public void Drain(string containerId)
    {
        lock (_gate)
        {
            if (_outputs.TryGetValue(containerId, out var output))
            {
                foreach (var source in output.Sources.ToList())
                {
                    Pump(source, int.MaxValue);
                }
            }
        }
    }

    /// <summary>What the container writes from now on, its streams apart; null when this pump does not carry its output.</summary>
    public ContainerOutput? Subscribe(string containerId)
    {
        lock (_gate)
        {
            if (!_outputs.TryGetValue(containerId, out var output))
            {
                return null;
            }

            var subscriber = new Subscriber(this, output);
            if (!output.Sources.Any(s => !s.Stderr))
            {
                subscriber.End(stderr: false);
            }

            if (!output.Sources.Any(s => s.Stderr))
            {
                subscriber.End(stderr: true);
            }

            output.Subscribers.Add(subscriber);
            return subscriber;
        }
    }

    /// <summary>Stops pumping the container's output (it is removed), ends its subscribers and deletes its FIFOs.</summary>
    public void Remove(string containerId)
    {
        lock (_gate)
        {
            if (_outputs.TryGetValue(containerId, out var output))
            {
                Forget(output);
            }
        }

        File.Delete(FifoPath(containerId, false));
        File.Delete(FifoPath(containerId, true));
    }

    /// <summary>Stops the pump's thread and closes its descriptors. Containers go on: they hold their FIFOs themselves.</summary>
    public unsafe void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        byte one = 1;
        LibC.Write(_wakeWrite, &one, 1);
        _thread.Join();
        lock (_gate)
        {
            foreach (var output in _outputs.Values.ToList())
            {
                Forget(output);
            }
        }

        LibC.Close(_wakeRead);
        LibC.Close(_wakeWrite);
        LibC.Close(_epoll);
    }

    private bool Attach(string containerId, string logPath)
    {
        var opened = new List<int>();
        try
        {
            foreach (var stderr in new[] { false, true })
            {
                var fd = LibC.Open(FifoPath(containerId, stderr), LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
                if (fd < 0)
                {
                    return false;
                }

                opened.Add(fd);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
            var log = LibC.OpenMode(logPath, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND | LibC.O_CLOEXEC, 0x1a4 /* 0644 */);
            if (log < 0)
            {
                throw new IOException($"opening the log {logPath} failed: errno {Marshal.GetLastPInvokeError()}");
            }

            lock (_gate)
            {
                var output = new Output(containerId, log);
                _outputs[containerId] = output;
                for (var i = 0; i < opened.Count; i++)
                {
                    var source = new Source(_nextKey++, opened[i], Stderr: i == 1, output);
                    _sources[source.Key] = source;
                    output.Sources.Add(source);
                    if (LibC.EpollAdd(_epoll, source.Fd, source.Key) != 0)
                    {
                        throw new IOException($"epoll_ctl failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }

                opened.Clear();
            }

            return true;
        }
        finally
        {
            foreach (var fd in opened)
            {
                LibC.Close(fd);
            }
        }
    }

    private unsafe void Run()
    {
        var events = new byte[MaxEvents * LibC.EpollEventSize];
        while (!_disposed)
        {
            int n;
            fixed (byte* p = events)
            {
                n = LibC.EpollWait(_epoll, p, MaxEvents, -1);
            }

            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == LibC.EINTR)
                {
                    continue;
                }

                _logger.LogError("The container output pump stopped: epoll_wait failed with errno {Errno}", Marshal.GetLastPInvokeError());
                return;
            }

            lock (_gate)
            {
                for (var i = 0; i < n; i++)
                {
                    var key = BitConverter.ToUInt64(events, i * LibC.EpollEventSize + LibC.EpollDataOffset);
                    if (key != WakeKey && _sources.TryGetValue(key, out var source))
                    {
                        // A few chunks per turn, so one busy container cannot starve the others (epoll reports it again).
                        Pump(source, 4);
                    }
                }
            }
        }
    }

    /// <summary>Under the gate: reads up to <paramref name="chunks"/> chunks from the source, into the log and the subscribers.</summary>
    private unsafe void Pump(Source source, int chunks)
    {
        var output = source.Output;
        for (var i = 0; i < chunks; i++)
        {
            nint n;
            fixed (byte* p = _buffer)
            {
                n = LibC.Read(source.Fd, p, ChunkSize);
            }

            if (n > 0)
            {
                var data = _buffer.AsSpan(0, (int)n);
                output.AppendToLog(data, _logger);
                // Under the gate, as every change to the list; delivering never removes a subscriber.
                foreach (var s in output.Subscribers)
                {
                    s.Deliver(source.Stderr, data);
                }

                continue;
            }

            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR)
                {
                    continue;
                }

                if (errno == LibC.EAGAIN)
                {
                    return;
                }
            }

            // End-of-file: every process holding the FIFO has exited.
            Close(source);
            return;
        }
    }

    /// <summary>Under the gate: stops reading a source and ends its stream for the subscribers; the output goes once both ended.</summary>
    private void Close(Source source)
    {
        if (!_sources.Remove(source.Key))
        {
            return;
        }

        LibC.EpollDelete(_epoll, source.Fd);
        LibC.Close(source.Fd);
        var output = source.Output;
        output.Sources.Remove(source);
        foreach (var s in output.Subscribers)
        {
            s.End(source.Stderr);
        }

        if (output.Sources.Count == 0)
        {
            output.CloseLog();
            if (_outputs.TryGetValue(output.ContainerId, out var current) && ReferenceEquals(current, output))
            {
                _outputs.Remove(output.ContainerId);
            }
        }
    }

    /// <summary>Under the gate: stops everything of one output.</summary>
    private void Forget(Output output)
    {
        foreach (var source in output.Sources.ToList())
        {
            Close(source);
        }

        output.CloseLog();
        _outputs.Remove(output.ContainerId);
        foreach (var s in output.Subscribers)
        {
            s.End(false);
            s.End(true);
        }
    }

    private sealed record Source(ulong Key, int Fd, bool Stderr, Output Output);

    private sealed class Output(string containerId, int log)
    {
        private int _log = log;
        private bool _warned;

        public string ContainerId { get; } = containerId;

        public List<Source> Sources { get; } = [];

        public List<Subscriber> Subscribers { get; } = [];

        public unsafe void AppendToLog(ReadOnlySpan<byte> data, ILogger logger)
        {
            fixed (byte* p = data)
            {
                var written = 0;
                while (_log >= 0 && written < data.Length)
                {
                    var n = LibC.Write(_log, p + written, (nuint)(data.Length - written));
                    if (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
                    {
                        continue;
                    }

                    if (n <= 0)
                    {
                        if (!_warned)
                        {
                            _warned = true;
                            logger.LogWarning("Writing the log of container {Container} failed (errno {Errno}); its output goes on to attached clients only",
                                ContainerId, Marshal.GetLastPInvokeError());
                        }

                        return;
                    }

                    written += (int)n;
                }
            }
        }

        public void CloseLog()
        {
            if (_log >= 0)
            {
                LibC.Close(_log);
                _log = -1;
            }
        }
    }

    /// <summary>One attach's view: a pipe per stream, written by the pump's thread without waiting.</summary>
    private sealed class Subscriber : ContainerOutput
    {
        private static readonly PipeOptions Options = new(pauseWriterThreshold: 0, useSynchronizationContext: false);
        private readonly ContainerOutputPump _pump;
        private readonly Output _output;
        private readonly Pipe _stdout = new(Options);
        private readonly Pipe _stderr = new(Options);
        private readonly TaskCompletionSource _stdoutEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _stderrEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Bytes delivered and not yet read (added by the pump's thread, subtracted by the reader).</summary>
        private long _lag;

        public Subscriber(ContainerOutputPump pump, Output output)
        {
            _pump = pump;
            _output = output;
            Stdout = new LagCountingStream(_stdout.Reader.AsStream(), this);
            Stderr = new LagCountingStream(_stderr.Reader.AsStream(), this);
            Ended = Task.WhenAll(_stdoutEnded.Task, _stderrEnded.Task);
        }

        public override Stream Stdout { get; }

        public override Stream Stderr { get; }

        public override Task Ended { get; }

        public void Deliver(bool stderr, ReadOnlySpan<byte> data)
        {
            var (pipe, ended) = stderr ? (_stderr, _stderrEnded) : (_stdout, _stdoutEnded);
            if (ended.Task.IsCompleted)
            {
                return;
            }

            if (Interlocked.Add(ref _lag, data.Length) > MaxSubscriberLag)
            {
                End(false);
                End(true);
                return;
            }

            pipe.Writer.Write(data);
            _ = pipe.Writer.FlushAsync();
        }

        public void End(bool stderr)
        {
            var (pipe, ended) = stderr ? (_stderr, _stderrEnded) : (_stdout, _stdoutEnded);
            if (ended.TrySetResult())
            {
                pipe.Writer.Complete();
            }
        }

        internal void Read(int count) => Interlocked.Add(ref _lag, -count);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                lock (_pump._gate)
                {
                    _output.Subscribers.Remove(this);
                    End(false);
                    End(true);
                }
            }
        }
    }

    /// <summary>A subscriber's read side, telling it how much was consumed.</summary>
    private sealed class LagCountingStream(Stream inner, Subscriber owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Counted(int n)
        {
            owner.Read(n);
            return n;
        }
    }
}
