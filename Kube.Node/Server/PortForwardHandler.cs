using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Kube.Node.Runtime;
using Kube.Node.Server.Spdy;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Server;

/// <summary>
/// The kubelet's <c>/portForward/{namespace}/{pod}</c>: a WebSocket with the <see cref="Subprotocol"/> subprotocol whose
/// binary messages carry a SPDY/3.1 session speaking upstream's <c>portforward.k8s.io</c> protocol (the API server relays
/// kubectl's tunnelled or plain SPDY connection into it). Per forwarded connection the client opens two streams with headers
/// <c>streamType</c> (<c>error</c>, then <c>data</c>), <c>port</c> and <c>requestID</c>; the pod's port is dialled, bytes are
/// copied on the data stream, and a failure is written as text on the error stream.
/// </summary>
internal sealed class PortForwardHandler(IContainerRuntime runtime, TimeProvider time, ILogger logger)
{
    /// <summary>
    /// The WebSocket subprotocol: SPDY/3.1 tunnelled in binary messages, carrying portforward.k8s.io. It is kubectl's
    /// <c>SPDY/3.1+portforward.k8s.io</c> with '/' spelled '-': .NET's WebSocket stacks (HttpListener, ClientWebSocket) accept
    /// only RFC 6455 token subprotocols, and '/' is not a token character.
    /// </summary>
    public const string Subprotocol = "SPDY-3.1+portforward.k8s.io";

    /// <summary>How long the second stream of a pair may lag the first (upstream's stream creation timeout, 30 s).</summary>
    public TimeSpan StreamCreationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest SPDY frame accepted from the client (1 MiB).</summary>
    public int MaxFrameLength { get; init; } = 1024 * 1024;

    /// <summary>How long dialling the pod's port may take.</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public async Task ServeAsync(HttpListenerContext context, string ns, string pod, CancellationToken cancellationToken)
    {
        if (!context.Request.IsWebSocketRequest)
        {
            await WriteTextAsync(context.Response, 400, $"port forwarding needs a WebSocket upgrade with the {Subprotocol} subprotocol (binary messages carry the SPDY/3.1 session); a plain SPDY upgrade is not served here").ConfigureAwait(false);
            return;
        }

        var offered = (context.Request.Headers["Sec-WebSocket-Protocol"] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (!offered.Contains(Subprotocol, StringComparer.Ordinal))
        {
            await WriteTextAsync(context.Response, 400, $"none of the offered subprotocols [{string.Join(", ", offered)}] is supported; use {Subprotocol}").ConfigureAwait(false);
            return;
        }

        var sandbox = (await runtime.ListPodSandboxesAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => s.PodNamespace == ns && s.PodName == pod && s.State == PodSandboxState.Ready).MaxBy(s => s.CreatedAt);
        if (sandbox is null)
        {
            await WriteTextAsync(context.Response, 404, $"pod \"{pod}\" (namespace \"{ns}\") has no running sandbox on this node").ConfigureAwait(false);
            return;
        }

        using var ws = (await context.AcceptWebSocketAsync(Subprotocol).ConfigureAwait(false)).WebSocket;
        await using (var transport = WebSocketStream.Create(ws, WebSocketMessageType.Binary, ownsWebSocket: false))
        {
            await RunAsync(transport, new PortForwardTarget(pod, ns, sandbox.PodUid, sandbox.Ip), cancellationToken).ConfigureAwait(false);
        }

        if (ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var close = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            close.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", close.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Serves one SPDY session on <paramref name="transport"/> until the client ends it.</summary>
    internal async Task RunAsync(Stream transport, PortForwardTarget target, CancellationToken cancellationToken)
    {
        var pairs = new Dictionary<string, PortForwardPair>(StringComparer.Ordinal);
        var forwards = new List<Task>();
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        SpdySession? session = null;
        session = new SpdySession(transport, server: true, stream =>
        {
            if (!Validate(stream, out var type, out var requestId))
            {
                return false;
            }

            lock (pairs)
            {
                if (!pairs.TryGetValue(requestId, out var pair))
                {
                    pair = new PortForwardPair(requestId);
                    pairs[requestId] = pair;
                    forwards.RemoveAll(t => t.IsCompleted);
                    forwards.Add(ExpireAsync(pair, pairs, ended.Token));
                }

                if ((type == "error" ? pair.Error : pair.Data) is not null)
                {
                    logger.LogDebug("port-forward request {RequestId} sent a second {Type} stream", requestId, type);
                    return false;
                }

                if (type == "error")
                {
                    pair.Error = stream;
                }
                else
                {
                    pair.Data = stream;
                }

                if (pair.Complete)
                {
                    pairs.Remove(requestId);
                    pair.Started.TrySetResult();
                    forwards.Add(Task.Run(() => ForwardAsync(pair, target, ended.Token), CancellationToken.None));
                }
            }

            return true;
        }, logger)
        {
            // kubectl's data frames are at most 32 KiB (Go's copy buffer); 1 MiB bounds what one stream can buffer (64 frames).
            MaxFrameLength = MaxFrameLength,
        };
        await using (session.ConfigureAwait(false))
        {
            await session.RunAsync(cancellationToken).ConfigureAwait(false);
            await ended.CancelAsync().ConfigureAwait(false);
            Task[] all;
            lock (pairs)
            {
                all = [.. forwards];
            }

            await Task.WhenAny(Task.WhenAll(all), Task.Delay(TimeSpan.FromSeconds(5), time, CancellationToken.None)).ConfigureAwait(false);
        }
    }

    private bool Validate(SpdyStream stream, out string type, out string requestId)
    {
        type = stream.Headers.GetValueOrDefault("streamtype") ?? "";
        requestId = stream.Headers.GetValueOrDefault("requestid") ?? "";
        if (type is not ("error" or "data"))
        {
            logger.LogDebug("port-forward stream {StreamId}: invalid stream type {Type}", stream.Id, type);
            return false;
        }

        if (!ushort.TryParse(stream.Headers.GetValueOrDefault("port"), out var port) || port == 0)
        {
            logger.LogDebug("port-forward stream {StreamId}: unable to parse port {Port}", stream.Id, stream.Headers.GetValueOrDefault("port"));
            return false;
        }

        if (requestId.Length == 0)
        {
            // Clients older than requestID pair the error stream (id n) with the data stream (id n + 2), as upstream assumes.
            requestId = (type == "error" ? stream.Id : stream.Id - 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return true;
    }

    private async Task ExpireAsync(PortForwardPair pair, Dictionary<string, PortForwardPair> pairs, CancellationToken cancellationToken)
    {
        try
        {
            await pair.Started.Task.WaitAsync(StreamCreationTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (pairs)
            {
                if (!pairs.Remove(pair.RequestId))
                {
                    return;
                }
            }

            logger.LogDebug("port-forward request {RequestId}: timed out waiting for streams", pair.RequestId);
            if (pair.Error is { } error)
            {
                await TryAsync(() => error.WriteAsync(Encoding.UTF8.GetBytes("timed out waiting for streams"), cancellationToken).AsTask()).ConfigureAwait(false);
                await TryAsync(() => error.CloseWriteAsync(cancellationToken)).ConfigureAwait(false);
            }

            if (pair.Data is { } data)
            {
                await TryAsync(() => data.ResetAsync(SpdyRstStatus.Cancel, cancellationToken)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ForwardAsync(PortForwardPair pair, PortForwardTarget target, CancellationToken cancellationToken)
    {
        var error = pair.Error!;
        var data = pair.Data!;
        var port = int.Parse(data.Headers["port"], System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            using var socket = await DialAsync(target, port, cancellationToken).ConfigureAwait(false);
            await using var network = new NetworkStream(socket, ownsSocket: false);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var down = CopyDownAsync(network, data, stop.Token);
            var up = CopyUpAsync(data, socket, network, stop.Token);
            if (await Task.WhenAny(down, up).ConfigureAwait(false) == up && !up.Result)
            {
                // The client reset the data stream or the session ended: drop the pod connection.
                await stop.CancelAsync().ConfigureAwait(false);
            }

            await Quiet(down).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Quiet(up).ConfigureAwait(false);
        }
        catch (PortForwardDialException ex)
        {
            var message = $"error forwarding port {port} to pod {target.Name}_{target.Namespace}, uid {target.Uid}: {ex.Message}";
            logger.LogInformation("{Message}", message);
            await TryAsync(() => error.WriteAsync(Encoding.UTF8.GetBytes(message), cancellationToken).AsTask()).ConfigureAwait(false);
        }
        finally
        {
            await TryAsync(() => data.CloseWriteAsync(cancellationToken)).ConfigureAwait(false);
            await TryAsync(() => error.CloseWriteAsync(cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Pod to client; at the pod's end of output, our FIN on the data stream.</summary>
    private static async Task CopyDownAsync(NetworkStream network, SpdyStream data, CancellationToken cancellationToken)
    {
        await network.CopyToAsync(data, SpdySession.MaxDataChunk, cancellationToken).ConfigureAwait(false);
        await data.CloseWriteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Client to pod; at the client's FIN, a half close towards the pod. False when the stream was reset.</summary>
    private static async Task<bool> CopyUpAsync(SpdyStream data, Socket socket, NetworkStream network, CancellationToken cancellationToken)
    {
        try
        {
            await data.CopyToAsync(network, SpdySession.MaxDataChunk, cancellationToken).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);
            return true;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<Socket> DialAsync(PortForwardTarget target, int port, CancellationToken cancellationToken)
    {
        if (runtime.RuntimeName == "simulated")
        {
            throw new PortForwardDialException($"the simulated runtime runs no processes: nothing listens on port {port}");
        }

        if (!IPAddress.TryParse(target.Ip, out var ip))
        {
            throw new PortForwardDialException("the pod has no IP address");
        }

        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DialTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(ip, port), timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            var why = ex is SocketException se ? se.SocketErrorCode == SocketError.ConnectionRefused ? "connect: connection refused" : se.Message : "i/o timeout";
            throw new PortForwardDialException($"dial tcp {ip}:{port}: {why}");
        }
    }

    private async Task TryAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or WebSocketException)
        {
            logger.LogDebug(ex, "port-forward stream already gone");
        }
    }

    private static async Task Quiet(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or WebSocketException)
        {
        }
    }

    private static async Task WriteTextAsync(HttpListenerResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(text);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }

    private sealed class PortForwardDialException(string message) : Exception(message);
}
