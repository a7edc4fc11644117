using System.Net;
using System.Net.WebSockets;
using System.Text;
using Kube.Node.Runtime;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Server;

/// <summary>
/// The kubelet's <c>/attach/{namespace}/{pod}/{container}?stdin=&amp;stdout=&amp;stderr=&amp;tty=</c> for <c>kubectl attach</c>: a WebSocket
/// with the <c>v5.channel.k8s.io</c> or <c>v4.channel.k8s.io</c> subprotocol that carries what the running container writes from
/// now on (channel 1), until it stops (then a Success status on channel 3) or the client goes.
/// </summary>
/// <remarks>
/// Output only: the runtimes keep no pipe to a running container's standard input, so <c>stdin=true</c> (<c>kubectl attach -i</c>)
/// is answered with a Failure status that says so. The output is the container's log (its stdout and stderr together), so it
/// all goes on stdout's channel.
/// </remarks>
internal sealed class AttachHandler(IContainerRuntime runtime, TimeSpan pollInterval, TimeProvider time, ILogger logger)
{
    private static readonly string[] Subprotocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

    public async Task ServeAsync(HttpListenerContext context, string ns, string pod, string container, CancellationToken cancellationToken)
    {
        if (!context.Request.IsWebSocketRequest)
        {
            await WriteTextAsync(context.Response, 400, "attach needs a WebSocket upgrade with the v5.channel.k8s.io or v4.channel.k8s.io subprotocol").ConfigureAwait(false);
            return;
        }

        var offered = (context.Request.Headers["Sec-WebSocket-Protocol"] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var protocol = Subprotocols.FirstOrDefault(p => offered.Contains(p, StringComparer.Ordinal));
        if (protocol is null)
        {
            await WriteTextAsync(context.Response, 400, $"none of the offered subprotocols [{string.Join(", ", offered)}] is supported; use {string.Join(" or ", Subprotocols)}").ConfigureAwait(false);
            return;
        }

        var sandbox = (await runtime.ListPodSandboxesAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => s.PodNamespace == ns && s.PodName == pod).MaxBy(s => s.CreatedAt);
        var run = sandbox is null ? null : (await runtime.ListContainersAsync(sandbox.Id, cancellationToken).ConfigureAwait(false))
            .Where(c => c.Name == container).MaxBy(c => c.Attempt);
        if (run is null)
        {
            await WriteTextAsync(context.Response, 404, $"container \"{container}\" in pod \"{pod}\" (namespace \"{ns}\") not found on this node").ConfigureAwait(false);
            return;
        }

        var q = context.Request.QueryString;
        using var ws = (await context.AcceptWebSocketAsync(protocol).ConfigureAwait(false)).WebSocket;
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiving = WatchCloseAsync(ws, gone);
        try
        {
            string status;
            if (q["stdin"] is { } stdin && (stdin == "1" || stdin.Equals("true", StringComparison.OrdinalIgnoreCase)))
            {
                status = ExecStatus.Error($"attaching to the standard input of container {container} is not supported by the {runtime.RuntimeName} runtime: it keeps no pipe to a running container's input");
            }
            else if (run.State != ContainerState.Running || run.LogPath is null)
            {
                status = ExecStatus.Error($"container {container} is not running");
            }
            else
            {
                await FollowAsync(ws, run, gone.Token).ConfigureAwait(false);
                status = ExecStatus.Json(0);
            }

            await SendAsync(ws, ExecSession.ErrorChannel, Encoding.UTF8.GetBytes(status), gone.Token).ConfigureAwait(false);
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", gone.Token).ConfigureAwait(false);
            await receiving.WaitAsync(TimeSpan.FromSeconds(2), time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or TimeoutException or IOException)
        {
            logger.LogDebug(ex, "attach to {Namespace}/{Pod}/{Container} ended", ns, pod, container);
        }
        finally
        {
            await gone.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sends what is appended to the container's log from now on, until the container stops.</summary>
    private async Task FollowAsync(WebSocket ws, ContainerStatus run, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(run.LogPath!, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var head = new byte[512];
        var headLength = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var cri = CriLogDecoder.LooksLikeCri(head.AsSpan(0, headLength)) ? new CriLogDecoder(timestamps: false) : null;
        file.Seek(0, SeekOrigin.End);
        var buffer = new byte[32 * 1024];
        while (!cancellationToken.IsCancellationRequested)
        {
            var n = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n > 0)
            {
                var data = cri is null ? buffer.AsSpan(0, n).ToArray() : cri.Decode(buffer.AsSpan(0, n));
                if (data.Length > 0)
                {
                    await SendAsync(ws, ExecSession.StdoutChannel, data, cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (file.Length < file.Position)
            {
                file.Seek(0, SeekOrigin.Begin);
                continue;
            }

            var status = await runtime.ContainerStatusAsync(run.Id, cancellationToken).ConfigureAwait(false);
            if (status is null || status.State != ContainerState.Running)
            {
                n = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                var rest = cri is null ? buffer.AsSpan(0, n).ToArray() : [.. cri.Decode(buffer.AsSpan(0, n)), .. cri.Flush()];
                if (rest.Length > 0)
                {
                    await SendAsync(ws, ExecSession.StdoutChannel, rest, cancellationToken).ConfigureAwait(false);
                }

                return;
            }

            await Task.Delay(pollInterval, time, cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Reads (and drops) what the client sends; its close, or a broken connection, cancels the attach.</summary>
    private static async Task WatchCloseAsync(WebSocket ws, CancellationTokenSource gone)
    {
        var buffer = new byte[1024];
        try
        {
            while (ws.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                if ((await ws.ReceiveAsync(buffer, gone.Token).ConfigureAwait(false)).MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
        }

        try
        {
            await gone.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static Task SendAsync(WebSocket ws, byte channel, byte[] payload, CancellationToken cancellationToken)
    {
        var frame = new byte[payload.Length + 1];
        frame[0] = channel;
        payload.CopyTo(frame, 1);
        return ws.SendAsync(frame, WebSocketMessageType.Binary, true, cancellationToken);
    }

    private static async Task WriteTextAsync(HttpListenerResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(text);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }
}
