using System.Threading.Channels;

namespace Kube.Node.Server.Spdy;

/// <summary>
/// One SPDY stream of a <see cref="SpdySession"/> as a byte stream: reads return the peer's data frames (0 after its FIN),
/// writes send data frames within the flow-control windows, <see cref="CloseWriteAsync"/> sends our FIN (a half close)
/// and <see cref="ResetAsync"/> sends RST_STREAM.
/// </summary>
internal sealed class SpdyStream : Stream
{
    /// <summary>Data frames buffered per stream before the session's reader waits (back-pressure onto the transport).</summary>
    private const int InboundFrames = 64;

    private readonly SpdySession _session;
    private readonly Channel<ReadOnlyMemory<byte>> _inbound = Channel.CreateBounded<ReadOnlyMemory<byte>>(
        new BoundedChannelOptions(InboundFrames) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private ReadOnlyMemory<byte> _current;
    private int _writeClosed;

    internal SpdyStream(SpdySession session, uint id, IReadOnlyDictionary<string, string> headers, long sendWindow)
    {
        _session = session;
        Id = id;
        Headers = headers;
        SendWindow = sendWindow;
    }

    /// <summary>The stream id (odd when the client opened it).</summary>
    public uint Id { get; }

    /// <summary>The SYN_STREAM's headers (names in lower case).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The SYN_REPLY's headers, for a stream we opened, once replied.</summary>
    public IReadOnlyDictionary<string, string>? ReplyHeaders { get; internal set; }

    /// <summary>Completes when the SYN_REPLY went out (a stream the peer opened) or came in (one we opened); faults on a reset.</summary>
    internal TaskCompletionSource Replied { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Bytes we may still send (guarded by the session's window lock); may go negative after a SETTINGS change.</summary>
    internal long SendWindow { get; set; }

    /// <summary>Bytes read by the consumer and not yet acknowledged to the peer with WINDOW_UPDATE.</summary>
    internal int Unacknowledged { get; set; }

    /// <summary>Whether the peer sent its FIN (or a reset ended the stream).</summary>
    public bool RemoteClosed { get; private set; }

    /// <summary>Whether we sent our FIN or a reset.</summary>
    public bool LocalClosed => Volatile.Read(ref _writeClosed) != 0;

    /// <summary>The reset status when the stream was reset (by either side).</summary>
    public SpdyRstStatus? ResetStatus { get; private set; }

    internal ValueTask DeliverAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        RemoteClosed ? ValueTask.CompletedTask : _inbound.Writer.WriteAsync(data, cancellationToken);

    internal void RemoteFin()
    {
        RemoteClosed = true;
        _inbound.Writer.TryComplete();
    }

    internal void Abort(SpdyRstStatus? status, string why)
    {
        ResetStatus ??= status;
        RemoteClosed = true;
        Interlocked.Exchange(ref _writeClosed, 1);
        _inbound.Writer.TryComplete(new IOException(why));
        Replied.TrySetException(new IOException(why));
    }

    /// <summary>Marks our side closed; false when it already was.</summary>
    internal bool MarkWriteClosed() => Interlocked.Exchange(ref _writeClosed, 1) == 0;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        while (_current.IsEmpty)
        {
            try
            {
                if (!await _inbound.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return 0;
                }
            }
            catch (ChannelClosedException ex) when (ex.InnerException is IOException io)
            {
                throw new IOException(io.Message, io);
            }

            _inbound.Reader.TryRead(out _current);
        }

        var n = Math.Min(buffer.Length, _current.Length);
        _current[..n].CopyTo(buffer);
        _current = _current[n..];
        await _session.ConsumedAsync(this, n, cancellationToken).ConfigureAwait(false);
        return n;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty ? ValueTask.CompletedTask : new ValueTask(_session.SendDataAsync(this, buffer, fin: false, cancellationToken));

    /// <summary>Sends our FIN: no more data from this side. Idempotent.</summary>
    public Task CloseWriteAsync(CancellationToken cancellationToken = default) =>
        LocalClosed ? Task.CompletedTask : _session.SendDataAsync(this, ReadOnlyMemory<byte>.Empty, fin: true, cancellationToken);

    /// <summary>Resets the stream (RST_STREAM with <paramref name="status"/>).</summary>
    public Task ResetAsync(SpdyRstStatus status, CancellationToken cancellationToken = default) => _session.ResetAsync(this, status, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
