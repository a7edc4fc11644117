using System.Net.WebSockets;
using Kube.ApiServer.Registry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kube.ApiServer.Proxy;

/// <summary>
/// <c>pods/portforward</c>: kubectl 1.32 first asks for a WebSocket with the <c>SPDY/3.1+portforward.k8s.io</c> subprotocol (its
/// binary messages carry a SPDY/3.1 session), and on an upgrade failure falls back to a plain <c>Upgrade: SPDY/3.1</c> with
/// <c>X-Stream-Protocol-Version: portforward.k8s.io</c>. Either way the bytes of the SPDY session are relayed, unchanged, to the
/// kubelet's <c>/portForward/{namespace}/{pod}</c>, which takes them tunnelled in a WebSocket.
/// </summary>
internal sealed partial class KubeletProxy
{
    /// <summary>The port-forward protocol (upstream's portforward.k8s.io, version 1).</summary>
    public const string PortForwardProtocol = "portforward.k8s.io";

    /// <summary>The WebSocket subprotocol tunnelling SPDY/3.1 with the port-forward protocol.</summary>
    public const string PortForwardTunnel = "SPDY/3.1+" + PortForwardProtocol;

    public async Task PortForwardAsync(HttpContext ctx, RequestScope s)
    {
        var ct = ctx.RequestAborted;
        await registry.AuthorizeAsync(s, "create", ct).ConfigureAwait(false);
        var websocket = ctx.WebSockets.IsWebSocketRequest;
        var upgrade = ctx.Features.Get<IHttpUpgradeFeature>();
        if (websocket)
        {
            var requested = ctx.WebSockets.WebSocketRequestedProtocols;
            if (!requested.Contains(PortForwardTunnel, StringComparer.Ordinal))
                throw Errors.BadRequest($"none of the requested subprotocols ({string.Join(", ", requested)}) is supported; supported: {PortForwardTunnel}");
        }
        else if (ctx.Request.Headers.Upgrade.Any(u => u?.StartsWith("SPDY/3.1", StringComparison.OrdinalIgnoreCase) == true) && upgrade?.IsUpgradableRequest == true)
        {
            var versions = ctx.Request.Headers["X-Stream-Protocol-Version"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries));
            if (!versions.Contains(PortForwardProtocol, StringComparer.Ordinal))
                throw Errors.BadRequest($"unable to upgrade: X-Stream-Protocol-Version must name {PortForwardProtocol}");
        }
        else
        {
            throw Errors.BadRequest($"Upgrade request required: port forwarding is served over WebSocket ({PortForwardTunnel}) or SPDY/3.1 ({PortForwardProtocol})");
        }

        var pod = await registry.GetAsync(s with { Subresource = null }, ct).ConfigureAwait(false);
        var kubelet = await KubeletOfAsync(pod, s, ct).ConfigureAwait(false);
        var target = new UriBuilder(kubelet) { Scheme = kubelet.Scheme == "https" ? "wss" : "ws" }.Uri;
        target = new Uri(target, $"portForward/{Uri.EscapeDataString(s.Namespace!)}/{Uri.EscapeDataString(Json.Name(pod))}");

        using var upstream = new ClientWebSocket();
        upstream.Options.AddSubProtocol(PortForwardTunnel);
        kubeletClient.Configure(upstream.Options);
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(10));
            await upstream.ConnectAsync(target, connectTimeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw Unreachable(e.Message);
        }

        using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task a, b;
        if (websocket)
        {
            using var downstream = await ctx.WebSockets.AcceptWebSocketAsync(PortForwardTunnel).ConfigureAwait(false);
            a = RelayAsync(downstream, upstream, done.Token);
            b = RelayAsync(upstream, downstream, done.Token);
            await EndAsync(a, b, done).ConfigureAwait(false);
            return;
        }

        ctx.Response.Headers["X-Stream-Protocol-Version"] = PortForwardProtocol;
        ctx.Response.Headers.Connection = "Upgrade";
        ctx.Response.Headers.Upgrade = "SPDY/3.1";
        await using var raw = await upgrade!.UpgradeAsync().ConfigureAwait(false);
        await using var tunnel = WebSocketStream.Create(upstream, WebSocketMessageType.Binary, ownsWebSocket: false);
        a = CopyThenCloseAsync(raw, tunnel, upstream, done.Token);
        b = tunnel.CopyToAsync(raw, done.Token);
        await EndAsync(a, b, done).ConfigureAwait(false);
    }

    /// <summary>Client bytes into the kubelet's WebSocket; at the client's end, a close towards the kubelet.</summary>
    private static async Task CopyThenCloseAsync(Stream from, Stream tunnel, WebSocket upstream, CancellationToken ct)
    {
        await from.CopyToAsync(tunnel, ct).ConfigureAwait(false);
        if (upstream.State is WebSocketState.Open or WebSocketState.CloseReceived)
            await upstream.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", ct).ConfigureAwait(false);
    }

    /// <summary>Either side ending ends the session; the other direction gets a moment to flush.</summary>
    private static async Task EndAsync(Task a, Task b, CancellationTokenSource done)
    {
        await Task.WhenAny(a, b).ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(a, b), Task.Delay(TimeSpan.FromSeconds(2), done.Token)).ConfigureAwait(false);
        await done.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(QuietStream(a), QuietStream(b)).ConfigureAwait(false);
    }

    private static async Task QuietStream(Task t)
    {
        try
        {
            await t.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
        }
    }
}
