using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Kube.Node.Server.Spdy;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Runtime.Cri;

/// <summary>
/// A client of a CRI runtime's streaming server (the URL CRI's Attach or Exec hands back), as upstream's kubelet relays to it: an
/// HTTP upgrade to SPDY/3.1 with <c>X-Stream-Protocol-Version: v4.channel.k8s.io</c>, then one stream per channel, opened in
/// upstream's order with the <c>streamType</c> header: <c>error</c>, <c>stdin</c>, <c>stdout</c>, <c>stderr</c>, <c>resize</c>.
/// Shaped as an <see cref="ExecProcess"/>, so the kubelet server's session carries it: stdout and stderr stay apart, closing
/// <see cref="Stdin"/> half-closes the stdin stream (end-of-file for the container's input), window sizes go as upstream's JSON
/// on the resize stream, and the exit is the v4 Status the server writes on the error stream before it closes the connection.
/// </summary>
internal sealed class RemoteCommandProcess : ExecProcess
{
    public const string ProtocolVersion = "v4.channel.k8s.io";

    /// <summary>The largest response head or error status read from the server.</summary>
    private const int MaxHead = 16 * 1024;

    private readonly Socket _socket;
    private readonly SpdySession _session;
    private readonly Task _reader;
    private readonly SpdyStream _error;
    private readonly Pipe _stdout = new();
    private readonly Pipe _stderr = new();
    private readonly Task _copies;
    private readonly Task<int> _exit;
    private readonly Channel<TerminalSize> _sizes = Channel.CreateBounded<TerminalSize>(new BoundedChannelOptions(4) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private RemoteCommandProcess(Socket socket, SpdySession session, Task reader, SpdyStream error, SpdyStream? stdin, SpdyStream? stdout, SpdyStream? stderr, SpdyStream? resize, bool tty)
    {
        _socket = socket;
        _session = session;
        _reader = reader;
        _error = error;
        IsTerminal = tty;
        Stdin = stdin is null ? Stream.Null : new HalfClosingStream(stdin);
        Stdout = _stdout.Reader.AsStream();
        Stderr = _stderr.Reader.AsStream();
        _copies = Task.WhenAll(CopyAsync(stdout, _stdout.Writer), CopyAsync(stderr, _stderr.Writer));
        if (resize is not null)
        {
            _ = SendSizesAsync(resize);
        }

        _exit = ReadExitAsync();
    }

    public override Stream Stdin { get; }

    public override Stream Stdout { get; }

    public override Stream Stderr { get; }

    public override bool IsTerminal { get; }

    /// <summary>
    /// Connects to <paramref name="url"/> and opens the streams asked for (stderr only without a tty, resize only with one).
    /// </summary>
    /// <exception cref="InvalidOperationException">The server could not be reached, refused the upgrade or a stream.</exception>
    public static async Task<RemoteCommandProcess> ConnectAsync(Uri url, bool stdin, bool stdout, bool stderr, bool tty, TimeSpan timeout, ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SpdySession? session = null;
        Task? reader = null;
        try
        {
            await socket.ConnectAsync(url.Host, url.Port, deadline.Token).ConfigureAwait(false);
            var transport = new NetworkStream(socket, ownsSocket: false);
            await UpgradeAsync(transport, url, deadline.Token).ConfigureAwait(false);
            session = new SpdySession(transport, server: false, onStream: null, logger);
            reader = session.RunAsync(CancellationToken.None);

            async Task<SpdyStream?> OpenAsync(bool wanted, string type) => wanted
                ? await session.OpenStreamAsync([new("streamType", type)], deadline.Token).ConfigureAwait(false)
                : null;

            var error = (await OpenAsync(true, "error").ConfigureAwait(false))!;
            var input = await OpenAsync(stdin, "stdin").ConfigureAwait(false);
            var output = await OpenAsync(stdout, "stdout").ConfigureAwait(false);
            var errors = await OpenAsync(stderr && !tty, "stderr").ConfigureAwait(false);
            var resize = await OpenAsync(tty, "resize").ConfigureAwait(false);
            return new RemoteCommandProcess(socket, session, reader, error, input, output, errors, resize, tty);
        }
        catch (Exception ex) when (ex is IOException or SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await AbandonAsync(socket, session, reader).ConfigureAwait(false);
            throw new InvalidOperationException($"the container runtime's streaming server at {url.GetLeftPart(UriPartial.Authority)} did not serve the stream: "
                + (ex is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0} s" : ex.Message), ex);
        }
        catch
        {
            await AbandonAsync(socket, session, reader).ConfigureAwait(false);
            throw;
        }
    }

    public override void Resize(TerminalSize size) => _sizes.Writer.TryWrite(size);

    public override Task<int> WaitForExitAsync(CancellationToken cancellationToken) => _exit.WaitAsync(cancellationToken);

    /// <summary>Ends the connection: for an attach the container goes on (detached); for an exec the runtime ends the command.</summary>
    public override void Kill()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Kill();
            _sizes.Writer.TryComplete();
            _socket.Dispose();
            _ = _reader.ContinueWith(_ => _session.DisposeAsync().AsTask(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private static async Task AbandonAsync(Socket socket, SpdySession? session, Task? reader)
    {
        socket.Dispose();
        if (reader is not null)
        {
            await reader.ConfigureAwait(false);
        }

        if (session is not null)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sends the upgrade request and reads the answer's head; anything but 101 with the v4 protocol is an error.</summary>
    private static async Task UpgradeAsync(NetworkStream transport, Uri url, CancellationToken cancellationToken)
    {
        var request = $"POST {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
            + $"X-Stream-Protocol-Version: {ProtocolVersion}\r\nContent-Length: 0\r\n\r\n";
        await transport.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken).ConfigureAwait(false);

        // Byte by byte up to the blank line: the SPDY frames that follow must stay unread.
        var head = new List<byte>(256);
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (head.Count >= MaxHead || await transport.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new IOException("the connection ended before the upgrade was answered");
            }

            head.Add(one[0]);
        }

        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var status = lines.Length > 0 ? lines[0].Split(' ', 3) : [];
        if (status.Length < 2 || status[1] != "101")
        {
            var body = new byte[MaxHead];
            var n = await transport.ReadAtLeastAsync(body, 1, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            throw new IOException($"it answered {(lines.Length > 0 ? lines[0] : "nothing")}: {Encoding.UTF8.GetString(body, 0, n).Trim()}");
        }

        var version = lines.Skip(1).Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals("X-Stream-Protocol-Version", StringComparison.OrdinalIgnoreCase));
        if (version is null || version[1].Trim() != ProtocolVersion)
        {
            throw new IOException($"it did not agree to the {ProtocolVersion} protocol (X-Stream-Protocol-Version: {version?[1].Trim() ?? "none"})");
        }
    }

    /// <summary>Copies a stream's data into the pipe its reader sees; the stream's end (FIN, or the connection closing) ends the pipe.</summary>
    private static async Task CopyAsync(SpdyStream? source, PipeWriter target)
    {
        try
        {
            if (source is null)
            {
                return;
            }

            var buffer = new byte[32 * 1024];
            int n;
            while ((n = await source.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                var flush = await target.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (IOException)
        {
        }
        finally
        {
            await target.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Writes each window size as upstream's remotecommand.TerminalSize JSON, one value after the other.</summary>
    private async Task SendSizesAsync(SpdyStream resize)
    {
        try
        {
            await foreach (var size in _sizes.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                var json = string.Create(CultureInfo.InvariantCulture, $"{{\"Width\":{size.Width},\"Height\":{size.Height}}}\n");
                await resize.WriteAsync(Encoding.ASCII.GetBytes(json)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>
    /// The exit: the v4 Status on the error stream once the server ends it. Success is 0, NonZeroExitCode its ExitCode cause; any
    /// other Failure is thrown as <see cref="InvalidOperationException"/> with the server's message. A connection that ended with
    /// no status (the client detached) counts as 0, as an attach ends without an exit code.
    /// </summary>
    private async Task<int> ReadExitAsync()
    {
        var status = new MemoryStream();
        try
        {
            var buffer = new byte[4096];
            int n;
            while ((n = await _error.ReadAsync(buffer).ConfigureAwait(false)) > 0 && status.Length < MaxHead)
            {
                status.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
        }

        // The output that came before the status is delivered before the exit is told.
        await _copies.ConfigureAwait(false);
        return status.Length == 0 ? 0 : ParseStatus(status.ToArray());
    }

    internal static int ParseStatus(byte[] json)
    {
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("status", out var s) && s.ValueEquals("Success"))
                {
                    return 0;
                }

                message = root.TryGetProperty("message", out var m) ? m.GetString() : null;
                if (root.TryGetProperty("reason", out var r) && r.ValueEquals("NonZeroExitCode")
                    && root.TryGetProperty("details", out var d) && d.TryGetProperty("causes", out var causes) && causes.ValueKind == JsonValueKind.Array)
                {
                    foreach (var cause in causes.EnumerateArray())
                    {
                        if (cause.TryGetProperty("reason", out var cr) && cr.ValueEquals("ExitCode") && cause.TryGetProperty("message", out var cm)
                            && int.TryParse(cm.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var code))
                        {
                            return code;
                        }
                    }
                }
            }
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(json);
        }

        throw new InvalidOperationException(message ?? Encoding.UTF8.GetString(json));
    }

    /// <summary>A SPDY stream for writing whose disposal sends our FIN (a half close: the peer's input ends, its output goes on).</summary>
    private sealed class HalfClosingStream(SpdyStream stream) : WriteOnlyStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => stream.WriteAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _ = stream.CloseWriteAsync().ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }

            base.Dispose(disposing);
        }
    }
}
