using System.Buffers.Binary;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Server.Spdy;

/// <summary>
/// A SPDY/3.1 session over a byte stream, either side: one reader (<see cref="RunAsync"/>) dispatches frames, writes are
/// serialized, header blocks share one zlib context per direction, PINGs from the peer are echoed.
/// </summary>
/// <remarks>
/// Flow control (SPDY/3.1): received data is acknowledged with WINDOW_UPDATE (stream and session) once half a window has
/// been read by the consumer. Sending respects the peer's stream and session windows once the peer has shown it keeps
/// them, by sending a WINDOW_UPDATE: moby/spdystream, the SPDY library of kubectl and the kubelet, never sends one (it
/// speaks SPDY/3 framing without 3.1's windows), and holding it to 64 KiB would stall every transfer. Data beyond our
/// window is still accepted; each stream buffers at most 64 frames before the reader waits (back-pressure on the transport).
/// </remarks>
internal sealed class SpdySession : IAsyncDisposable
{
    /// <summary>The largest data payload we put in one frame.</summary>
    public const int MaxDataChunk = 32 * 1024;

    private readonly Stream _transport;
    private readonly bool _server;
    private readonly Func<SpdyStream, bool>? _onStream;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SpdyHeaderCompressor _compressor = new();
    private readonly SpdyHeaderDecompressor _decompressor = new();
    private readonly ConcurrentDictionary<uint, SpdyStream> _streams = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly Lock _windowLock = new();
    private TaskCompletionSource _windowChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sessionSendWindow = SpdyProtocol.DefaultWindow;
    private long _initialSendWindow = SpdyProtocol.DefaultWindow;
    private int _sessionUnacknowledged;
    private uint _nextStreamId;
    private uint _lastRemoteStreamId;
    private volatile bool _peerFlowControl;
    private volatile bool _goneAway;

    /// <param name="transport">The connection (an upgraded HTTP connection, or a WebSocket carrying the bytes).</param>
    /// <param name="server">Whether we are the server side (our stream ids are even, the peer's odd).</param>
    /// <param name="onStream">Called on the reader for each stream the peer opens; true accepts it (SYN_REPLY), false refuses
    /// it (RST_STREAM REFUSED_STREAM). Must not block; data written to the stream waits for the reply.</param>
    public SpdySession(Stream transport, bool server, Func<SpdyStream, bool>? onStream, ILogger? logger = null)
    {
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        _server = server;
        _onStream = onStream;
        _logger = logger ?? NullLogger.Instance;
        _nextStreamId = server ? 2u : 1u;
    }

    /// <summary>Our receive window per stream and for the session (the default 64 KiB).</summary>
    public int ReceiveWindow { get; init; } = SpdyProtocol.DefaultWindow;

    /// <summary>The largest frame accepted from the peer.</summary>
    public int MaxFrameLength { get; init; } = SpdyProtocol.MaxFrameLength;

    /// <summary>Whether the peer keeps SPDY/3.1 flow control (it sent a WINDOW_UPDATE), so our sending waits for its windows.</summary>
    public bool PeerFlowControl => _peerFlowControl;

    /// <summary>Cancelled once the session has ended.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Reads and dispatches frames until the transport ends, a protocol error, or cancellation; then ends every stream.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var why = "the SPDY session ended";
        try
        {
            while (true)
            {
                var frame = await SpdyFrameCodec.ReadAsync(_transport, MaxFrameLength, cancellationToken).ConfigureAwait(false);
                if (frame is null)
                {
                    return;
                }

                await DispatchAsync(frame.Value, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (InvalidDataException ex)
        {
            why = ex.Message;
            _logger.LogDebug("SPDY protocol error: {Message}", ex.Message);
            await TryWriteAsync(() => SpdyFrameCodec.GoAway(_lastRemoteStreamId, SpdyGoAwayStatus.ProtocolError)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
            why = $"the SPDY connection ended: {ex.Message}";
        }
        finally
        {
            foreach (var stream in _streams.Values)
            {
                stream.Abort(null, why);
            }

            _streams.Clear();
            await _closed.CancelAsync().ConfigureAwait(false);
            SignalWindows();
        }
    }

    /// <summary>Opens a stream (SYN_STREAM) and waits for the peer's SYN_REPLY.</summary>
    /// <exception cref="IOException">The peer reset the stream or the session ended.</exception>
    public async Task<SpdyStream> OpenStreamAsync(IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(headers);
        SpdyStream? stream = null;
        await WriteAsync(() =>
        {
            if (_goneAway || _closed.IsCancellationRequested)
            {
                throw new IOException("the SPDY session is closing: no new streams");
            }

            var id = _nextStreamId;
            _nextStreamId += 2;
            lock (_windowLock)
            {
                stream = new SpdyStream(this, id, headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value, StringComparer.Ordinal), _initialSendWindow);
            }

            _streams[id] = stream;
            return SpdyFrameCodec.SynStream(id, 0, 0, 0, _compressor.Compress(headers));
        }, cancellationToken).ConfigureAwait(false);
        await stream!.Replied.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return stream;
    }

    /// <summary>Sends GOAWAY (no new streams); streams already open go on.</summary>
    public Task GoAwayAsync(CancellationToken cancellationToken = default)
    {
        _goneAway = true;
        return WriteAsync(() => SpdyFrameCodec.GoAway(_lastRemoteStreamId, SpdyGoAwayStatus.Ok), cancellationToken);
    }

    /// <summary>Sends a PING with <paramref name="id"/> (odd from a client, even from a server).</summary>
    public Task PingAsync(uint id, CancellationToken cancellationToken = default) => WriteAsync(() => SpdyFrameCodec.Ping(id), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _closed.CancelAsync().ConfigureAwait(false);
        _compressor.Dispose();
        _decompressor.Dispose();
    }

    private async Task DispatchAsync(SpdyFrame frame, CancellationToken cancellationToken)
    {
        switch (frame.Type)
        {
            case SpdyFrameType.Data:
                await OnDataAsync(frame, cancellationToken).ConfigureAwait(false);
                break;
            case SpdyFrameType.SynStream:
                await OnSynStreamAsync(frame, cancellationToken).ConfigureAwait(false);
                break;
            case SpdyFrameType.SynReply:
            {
                var headers = _decompressor.Decompress(frame.Payload.Span[4..]);
                if (_streams.TryGetValue(frame.StreamId, out var stream))
                {
                    stream.ReplyHeaders = headers;
                    stream.Replied.TrySetResult();
                    if (frame.Fin)
                    {
                        stream.RemoteFin();
                        ForgetIfDone(stream);
                    }
                }

                break;
            }

            case SpdyFrameType.Headers:
                // Kept in step with the peer's compression context; nothing in port forwarding uses trailing headers.
                _decompressor.Decompress(frame.Payload.Span[4..]);
                if (frame.Fin && _streams.TryGetValue(frame.StreamId, out var finished))
                {
                    finished.RemoteFin();
                    ForgetIfDone(finished);
                }

                break;
            case SpdyFrameType.RstStream:
            {
                var status = (SpdyRstStatus)SpdyFrameCodec.SecondWord(frame.Payload.Span, frame.Type);
                if (_streams.TryRemove(frame.StreamId, out var stream))
                {
                    stream.Abort(status, $"SPDY stream {frame.StreamId} reset by the peer ({status})");
                    SignalWindows();
                }

                break;
            }

            case SpdyFrameType.Settings:
                foreach (var (id, value) in SpdyFrameCodec.ReadSettings(frame.Payload.Span))
                {
                    if (id == SpdyProtocol.SettingsInitialWindowSize && value <= SpdyProtocol.MaxWindow)
                    {
                        lock (_windowLock)
                        {
                            var delta = value - _initialSendWindow;
                            _initialSendWindow = value;
                            foreach (var s in _streams.Values)
                            {
                                s.SendWindow += delta;
                            }
                        }

                        SignalWindows();
                    }
                }

                break;
            case SpdyFrameType.Ping:
            {
                var id = frame.Payload.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.Span)
                    : throw new InvalidDataException("SPDY PING frame must hold 4 bytes");
                // Our own pings have our parity (client odd, server even); the peer's are echoed back.
                if ((id % 2 == 0) == !_server)
                {
                    await WriteAsync(() => SpdyFrameCodec.Ping(id), cancellationToken).ConfigureAwait(false);
                }

                break;
            }

            case SpdyFrameType.GoAway:
                _goneAway = true;
                break;
            case SpdyFrameType.WindowUpdate:
            {
                var delta = SpdyFrameCodec.SecondWord(frame.Payload.Span, frame.Type) & 0x7FFFFFFF;
                _peerFlowControl = true;
                lock (_windowLock)
                {
                    if (frame.StreamId == 0)
                    {
                        _sessionSendWindow = Math.Min(SpdyProtocol.MaxWindow, _sessionSendWindow + delta);
                    }
                    else if (_streams.TryGetValue(frame.StreamId, out var stream))
                    {
                        stream.SendWindow = Math.Min(SpdyProtocol.MaxWindow, stream.SendWindow + delta);
                    }
                }

                SignalWindows();
                break;
            }

            default:
                // CREDENTIAL and unknown control frames are ignored, as SPDY/3 asks.
                break;
        }
    }

    private async Task OnSynStreamAsync(SpdyFrame frame, CancellationToken cancellationToken)
    {
        // The block is decoded even for a refused stream: the compression context must stay in step.
        var headers = _decompressor.Decompress(frame.Payload.Span[Math.Min(10, frame.Payload.Length)..]);
        var id = frame.StreamId;
        var peerParity = _server ? 1u : 0u;
        if (id == 0 || id % 2 != peerParity || id <= _lastRemoteStreamId)
        {
            await WriteAsync(() => SpdyFrameCodec.RstStream(id, SpdyRstStatus.ProtocolError), cancellationToken).ConfigureAwait(false);
            return;
        }

        _lastRemoteStreamId = id;
        if (_goneAway || _onStream is null)
        {
            await WriteAsync(() => SpdyFrameCodec.RstStream(id, SpdyRstStatus.RefusedStream), cancellationToken).ConfigureAwait(false);
            return;
        }

        SpdyStream stream;
        lock (_windowLock)
        {
            stream = new SpdyStream(this, id, headers, _initialSendWindow);
        }

        _streams[id] = stream;
        if (frame.Fin)
        {
            stream.RemoteFin();
        }

        if ((frame.Flags & SpdyProtocol.FlagUnidirectional) != 0)
        {
            stream.MarkWriteClosed();
        }

        bool accepted;
        try
        {
            accepted = _onStream(stream);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "SPDY stream handler failed for stream {StreamId}", id);
            accepted = false;
        }

        if (!accepted)
        {
            _streams.TryRemove(id, out _);
            stream.Abort(SpdyRstStatus.RefusedStream, "stream refused");
            await WriteAsync(() => SpdyFrameCodec.RstStream(id, SpdyRstStatus.RefusedStream), cancellationToken).ConfigureAwait(false);
            return;
        }

        await WriteAsync(() => SpdyFrameCodec.StreamHeaders(SpdyFrameType.SynReply, id, 0, _compressor.Compress([])), cancellationToken).ConfigureAwait(false);
        stream.Replied.TrySetResult();
    }

    private async Task OnDataAsync(SpdyFrame frame, CancellationToken cancellationToken)
    {
        if (!_streams.TryGetValue(frame.StreamId, out var stream))
        {
            // A stream we already forgot (reset or done): tell the peer, as SPDY asks, unless it was only a late FIN.
            if (frame.Payload.Length > 0)
            {
                await WriteAsync(() => SpdyFrameCodec.RstStream(frame.StreamId, SpdyRstStatus.InvalidStream), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (frame.Payload.Length > 0)
        {
            await stream.DeliverAsync(frame.Payload, cancellationToken).ConfigureAwait(false);
        }

        if (frame.Fin)
        {
            stream.RemoteFin();
            ForgetIfDone(stream);
        }
    }

    /// <summary>The consumer read <paramref name="count"/> bytes: acknowledge them once half a window has gathered.</summary>
    internal async ValueTask ConsumedAsync(SpdyStream stream, int count, CancellationToken cancellationToken)
    {
        uint streamDelta = 0, sessionDelta = 0;
        lock (_windowLock)
        {
            stream.Unacknowledged += count;
            _sessionUnacknowledged += count;
            if (stream.Unacknowledged >= ReceiveWindow / 2 && !stream.RemoteClosed)
            {
                streamDelta = (uint)stream.Unacknowledged;
                stream.Unacknowledged = 0;
            }

            if (_sessionUnacknowledged >= ReceiveWindow / 2)
            {
                sessionDelta = (uint)_sessionUnacknowledged;
                _sessionUnacknowledged = 0;
            }
        }

        if (streamDelta > 0)
        {
            await TryWriteAsync(() => SpdyFrameCodec.WindowUpdate(stream.Id, streamDelta), cancellationToken).ConfigureAwait(false);
        }

        if (sessionDelta > 0)
        {
            await TryWriteAsync(() => SpdyFrameCodec.WindowUpdate(0, sessionDelta), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends <paramref name="data"/> on the stream in data frames (within the windows when the peer keeps them), with FIN when asked.</summary>
    internal async Task SendDataAsync(SpdyStream stream, ReadOnlyMemory<byte> data, bool fin, CancellationToken cancellationToken)
    {
        await stream.Replied.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (stream.LocalClosed)
        {
            throw new IOException($"SPDY stream {stream.Id} is closed for writing");
        }

        var offset = 0;
        while (offset < data.Length)
        {
            int chunk;
            Task? wait = null;
            lock (_windowLock)
            {
                chunk = Math.Min(MaxDataChunk, data.Length - offset);
                if (_peerFlowControl)
                {
                    chunk = (int)Math.Min(chunk, Math.Min(stream.SendWindow, _sessionSendWindow));
                }

                if (chunk <= 0)
                {
                    wait = _windowChanged.Task;
                }
                else
                {
                    stream.SendWindow -= chunk;
                    _sessionSendWindow -= chunk;
                }
            }

            if (wait is not null)
            {
                if (stream.LocalClosed || _closed.IsCancellationRequested)
                {
                    throw new IOException($"SPDY stream {stream.Id} ended while waiting for the peer's window");
                }

                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var last = offset + chunk == data.Length;
            var slice = data.Slice(offset, chunk);
            await WriteAsync(() => SpdyFrameCodec.Data(stream.Id, slice.Span, fin && last), cancellationToken).ConfigureAwait(false);
            offset += chunk;
        }

        if (fin)
        {
            if (data.IsEmpty)
            {
                await WriteAsync(() => SpdyFrameCodec.Data(stream.Id, [], fin: true), cancellationToken).ConfigureAwait(false);
            }

            stream.MarkWriteClosed();
            ForgetIfDone(stream);
        }
    }

    internal async Task ResetAsync(SpdyStream stream, SpdyRstStatus status, CancellationToken cancellationToken)
    {
        if (_streams.TryRemove(stream.Id, out _))
        {
            stream.Abort(status, $"SPDY stream {stream.Id} reset ({status})");
            SignalWindows();
            await TryWriteAsync(() => SpdyFrameCodec.RstStream(stream.Id, status), cancellationToken).ConfigureAwait(false);
        }
    }

    private void ForgetIfDone(SpdyStream stream)
    {
        if (stream.RemoteClosed && stream.LocalClosed)
        {
            _streams.TryRemove(stream.Id, out _);
        }
    }

    private void SignalWindows()
    {
        TaskCompletionSource old;
        lock (_windowLock)
        {
            old = _windowChanged;
            _windowChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        old.TrySetResult();
    }

    /// <summary>Writes one frame, built under the write lock (header blocks must be compressed in the order they go out).</summary>
    private async Task WriteAsync(Func<byte[]> build, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var frame = build();
            await _transport.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task TryWriteAsync(Func<byte[]> build, CancellationToken cancellationToken = default)
    {
        try
        {
            await WriteAsync(build, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            _logger.LogDebug(ex, "SPDY control frame not sent");
        }
    }
}
