using System.Net.WebSockets;
using System.Text;
using Kube.Node.Runtime;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Server;

/// <summary>One exec over a WebSocket with the channel.k8s.io framing (v4 or v5): pumps stdin in and stdout/stderr out, then sends the Status on channel 3.</summary>
internal sealed class ExecSession(WebSocket socket, bool v5, TimeProvider time, ILogger logger)
{
    public const byte StdinChannel = 0;
    public const byte StdoutChannel = 1;
    public const byte StderrChannel = 2;
    public const byte ErrorChannel = 3;
    public const byte ResizeChannel = 4;
    public const byte CloseChannel = 255;

    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _send = new(1, 1);

    public async Task RunAsync(IStreamingRuntime runtime, string containerId, IReadOnlyList<string> command, bool stdin, bool stdout, bool stderr, CancellationToken cancellationToken)
    {
        ExecProcess process;
        try
        {
            process = await runtime.StartExecAsync(containerId, command, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException)
        {
            await SendAsync(ErrorChannel, Encoding.UTF8.GetBytes(ExecStatus.Error(ex.Message)), cancellationToken).ConfigureAwait(false);
            await CloseAsync(cancellationToken).ConfigureAwait(false);
            await DrainAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        using (process)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (!stdin)
            {
                process.Stdin.Dispose();
            }

            var outPump = PumpAsync(process.Stdout, StdoutChannel, stdout, cts.Token);
            var errPump = PumpAsync(process.Stderr, StderrChannel, stderr, cts.Token);
            var inPump = ReceiveAsync(process, stdin, cts.Token);
            int exitCode;
            try
            {
                exitCode = await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                await Task.WhenAll(outPump, errPump).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                return;
            }

            await SendAsync(ErrorChannel, Encoding.UTF8.GetBytes(ExecStatus.Json(exitCode)), cancellationToken).ConfigureAwait(false);
            await CloseAsync(cancellationToken).ConfigureAwait(false);
            // Let the client answer the close (cancelling a receive would abort the connection under unread data).
            await Task.WhenAny(inPump, Task.Delay(CloseWait, time, cancellationToken)).ConfigureAwait(false);
            await cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await inPump.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
            }
        }
    }

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(CloseWait);
        var buffer = new byte[1024];
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                if ((await socket.ReceiveAsync(buffer, cts.Token).ConfigureAwait(false)).MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
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

    private async Task ReceiveAsync(ExecProcess process, bool stdin, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        var message = new MemoryStream();
        var stdinOpen = stdin;
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
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

                switch (data[0])
                {
                    case StdinChannel when stdinOpen:
                        await process.Stdin.WriteAsync(data.AsMemory(1), cancellationToken).ConfigureAwait(false);
                        await process.Stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    case CloseChannel when v5 && data.Length > 1 && data[1] == StdinChannel && stdinOpen:
                        stdinOpen = false;
                        process.Stdin.Dispose();
                        break;
                    case ResizeChannel:
                        // No terminal: the process runtime runs exec without a tty.
                        break;
                }
            }
        }
        catch (IOException ex)
        {
            logger.LogDebug(ex, "exec stdin closed");
        }
        finally
        {
            if (stdinOpen)
            {
                process.Stdin.Dispose();
            }
        }
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
            if (socket.State == WebSocketState.Open)
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
