using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Kube.Node.Runtime;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Server;

/// <summary>
/// One exec over a WebSocket with the channel.k8s.io framing (v4 or v5): pumps stdin in and stdout/stderr out, then sends
/// the Status on channel 3. With a tty the command runs on a terminal: its output is all on stdout (as upstream's kubelet,
/// stderr is not used), and resize messages (channel 4, <c>{"Width":W,"Height":H}</c>) set the terminal's size; the
/// command starts once the first size arrived (bounded wait), so it never sees a 0 x 0 terminal from a client that sends one.
/// </summary>
internal sealed class ExecSession(WebSocket socket, bool v5, TimeProvider time, ILogger logger)
{
    public const byte StdinChannel = 0;
    public const byte StdoutChannel = 1;
    public const byte StderrChannel = 2;
    public const byte ErrorChannel = 3;
    public const byte ResizeChannel = 4;
    public const byte CloseChannel = 255;

    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(2);

    /// <summary>How long a tty exec waits for the client's first window size before starting the command anyway (at 0 x 0).</summary>
    private static readonly TimeSpan FirstSizeWait = TimeSpan.FromSeconds(1);

    /// <summary>Frames received but not yet applied; the receiver waits when it is full (backpressure on the client).</summary>
    private const int MaxQueuedFrames = 64;

    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly TaskCompletionSource<TerminalSize> _firstSize = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task RunAsync(IStreamingRuntime runtime, string containerId, IReadOnlyList<string> command, bool stdin, bool stdout, bool stderr, CancellationToken cancellationToken) =>
        RunAsync(runtime, containerId, command, stdin, stdout, stderr, tty: false, cancellationToken);

    public Task RunAsync(IStreamingRuntime runtime, string containerId, IReadOnlyList<string> command, bool stdin, bool stdout, bool stderr, bool tty,
        CancellationToken cancellationToken) =>
        RunAsync((size, ct) => runtime.StartExecAsync(containerId, command, size, ct), stdin, stdout, stderr, tty, cancellationToken);

    /// <summary>
    /// Runs the session around the process <paramref name="start"/> gives (for a tty, with the client's first window size); an
    /// <see cref="InvalidOperationException"/> or <see cref="KeyNotFoundException"/> from it is sent as a Failure status.
    /// </summary>
    public async Task RunAsync(Func<TerminalSize?, CancellationToken, Task<ExecProcess>> start, bool stdin, bool stdout, bool stderr, bool tty,
        CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var frames = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(MaxQueuedFrames) { SingleReader = true, SingleWriter = true });
        var receive = ReceiveAsync(frames.Writer, cts.Token);
        ExecProcess process;
        try
        {
            TerminalSize? size = null;
            if (tty)
            {
                size = await FirstSizeAsync(cts.Token).ConfigureAwait(false);
            }

            process = await start(size, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException)
        {
            var discard = ApplyAsync(frames.Reader, null, false, cts.Token);
            await SendAsync(ErrorChannel, Encoding.UTF8.GetBytes(ExecStatus.Error(ex.Message)), cancellationToken).ConfigureAwait(false);
            await FinishAsync(receive, discard, cts).ConfigureAwait(false);
            return;
        }

        using (process)
        {
            if (!stdin)
            {
                process.Stdin.Dispose();
            }

            var input = ApplyAsync(frames.Reader, process, stdin, cts.Token);
            var outPump = PumpAsync(process.Stdout, StdoutChannel, stdout, cts.Token);
            var errPump = process.IsTerminal ? Task.CompletedTask : PumpAsync(process.Stderr, StderrChannel, stderr && !tty, cts.Token);
            int exitCode;
            try
            {
                var exit = process.WaitForExitAsync(cts.Token);
                if (await Task.WhenAny(exit, receive).ConfigureAwait(false) != exit)
                {
                    // The client closed or dropped the connection: nobody is left to talk to the command.
                    logger.LogDebug("exec client went away before the command ended; killing it");
                    process.Kill();
                }

                exitCode = await exit.ConfigureAwait(false);
                await Task.WhenAll(outPump, errPump).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                return;
            }
            catch (InvalidOperationException ex)
            {
                // The runtime ended the stream with a failure of its own (a relayed runtime's Status).
                await SendAsync(ErrorChannel, Encoding.UTF8.GetBytes(ExecStatus.Error(ex.Message)), cancellationToken).ConfigureAwait(false);
                await FinishAsync(receive, input, cts).ConfigureAwait(false);
                return;
            }

            await SendAsync(ErrorChannel, Encoding.UTF8.GetBytes(ExecStatus.Json(exitCode)), cancellationToken).ConfigureAwait(false);
            await FinishAsync(receive, input, cts).ConfigureAwait(false);
        }
    }

    private async Task<TerminalSize> FirstSizeAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _firstSize.Task.WaitAsync(FirstSizeWait, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new TerminalSize(0, 0);
        }
    }

    /// <summary>Closes our side, lets the client answer the close (cancelling a receive would abort the connection under unread data), then stops.</summary>
    private async Task FinishAsync(Task receive, Task apply, CancellationTokenSource cts)
    {
        await CloseAsync(cts.Token).ConfigureAwait(false);
        await Task.WhenAny(receive, Task.Delay(CloseWait, time, cts.Token)).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        foreach (var task in new[] { receive, apply })
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ChannelClosedException or IOException)
            {
            }
        }
    }

    private async Task PumpAsync(Stream source, byte channel, bool forward, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        while (true)
        {
            var n = await source.ReadAsync(buffer.AsMemory(1), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return;
            }

            if (forward)
            {
                buffer[0] = channel;
                await SendRawAsync(buffer.AsMemory(0, n + 1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads the client's frames into <paramref name="frames"/> until its close frame or the connection ends; notes the first window size.</summary>
    private async Task ReceiveAsync(ChannelWriter<byte[]> frames, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        var message = new MemoryStream();
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var data = message.ToArray();
                message.SetLength(0);
                if (data.Length == 0)
                {
                    continue;
                }

                if (data[0] == ResizeChannel && TryParseSize(data, out var size))
                {
                    _firstSize.TrySetResult(size);
                }

                await frames.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            frames.TryComplete();
        }
    }

    /// <summary>Applies the client's frames to the command: stdin, stdin's close (v5), window sizes. With no command, discards them.</summary>
    private async Task ApplyAsync(ChannelReader<byte[]> frames, ExecProcess? process, bool stdin, CancellationToken cancellationToken)
    {
        var stdinOpen = stdin && process is not null;
        try
        {
            await foreach (var data in frames.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (process is null)
                {
                    continue;
                }

                switch (data[0])
                {
                    case StdinChannel when stdinOpen:
                        try
                        {
                            await process.Stdin.WriteAsync(data.AsMemory(1), cancellationToken).ConfigureAwait(false);
                            await process.Stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
                        }
                        catch (IOException ex)
                        {
                            logger.LogDebug(ex, "exec stdin closed");
                            stdinOpen = false;
                        }

                        break;
                    case CloseChannel when v5 && data.Length > 1 && data[1] == StdinChannel && stdinOpen:
                        // On a terminal, input only ends with the process (closing the master would hang it up).
                        stdinOpen = false;
                        if (!process.IsTerminal)
                        {
                            process.Stdin.Dispose();
                        }

                        break;
                    case ResizeChannel when TryParseSize(data, out var size):
                        process.Resize(size);
                        break;
                }
            }
        }
        finally
        {
            if (stdinOpen && process is { IsTerminal: false })
            {
                process.Stdin.Dispose();
            }
        }
    }

    /// <summary>Parses a resize frame's <c>{"Width":W,"Height":H}</c> (upstream's remotecommand.TerminalSize); false when malformed.</summary>
    internal static bool TryParseSize(ReadOnlySpan<byte> frame, out TerminalSize size)
    {
        size = default;
        try
        {
            var reader = new Utf8JsonReader(frame[1..]);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("Width", out var w) && w.TryGetUInt16(out var width)
                && doc.RootElement.TryGetProperty("Height", out var h) && h.TryGetUInt16(out var height))
            {
                size = new TerminalSize(width, height);
                return true;
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }

    private Task SendAsync(byte channel, byte[] payload, CancellationToken cancellationToken)
    {
        var frame = new byte[payload.Length + 1];
        frame[0] = channel;
        payload.CopyTo(frame, 1);
        return SendRawAsync(frame, cancellationToken);
    }

    private async Task SendRawAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.SendAsync(frame, WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _send.Release();
        }
    }

    private async Task CloseAsync(CancellationToken cancellationToken)
    {
        await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // CloseReceived: the client closed first and waits for our answer to its close.
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _send.Release();
        }
    }
}
