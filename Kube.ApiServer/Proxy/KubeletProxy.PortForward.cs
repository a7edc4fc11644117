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

    /// <summary>
    /// The same tunnel towards our kubelet, '/' spelled '-': .NET's WebSocket stacks accept only RFC 6455 token subprotocols
    /// (kubectl's name is answered here by a handshake of our own, see <see cref="AcceptTunnelAsync"/>).
    /// </summary>
    public const string KubeletPortForwardTunnel = "SPDY-3.1+" + PortForwardProtocol;

    public async Task PortForwardAsync(HttpContext ctx, RequestScope s)
    {
        var ct = ctx.RequestAborted;
        await registry.AuthorizeAsync(s, "create", ct).ConfigureAwait(false);
        // As upstream: the pod and its node first (404), then the upgrade (400).
        var pod = await registry.GetAsync(s with { Subresource = null }, ct).ConfigureAwait(false);
        var kubelet = await KubeletOfAsync(pod, s, ct).ConfigureAwait(false);
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

        var target = new UriBuilder(kubelet) { Scheme = kubelet.Scheme == "https" ? "wss" : "ws" }.Uri;
        target = new Uri(target, $"portForward/{Uri.EscapeDataString(s.Namespace!)}/{Uri.EscapeDataString(Json.Name(pod))}");

        using var upstream = new ClientWebSocket();
        upstream.Options.AddSubProtocol(KubeletPortForwardTunnel);
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
            using var downstream = await AcceptTunnelAsync(ctx, upgrade).ConfigureAwait(false);
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

    /// <summary>
    /// Answers the WebSocket handshake itself: <c>SPDY/3.1+portforward.k8s.io</c> holds a '/', which ASP.NET Core's and
    /// .NET's WebSocket APIs refuse as a subprotocol, so the 101 is written here (RFC 6455 section 4.2.2) and the upgraded
    /// connection becomes a server WebSocket.
    /// </summary>
    private static async Task<WebSocket> AcceptTunnelAsync(HttpContext ctx, IHttpUpgradeFeature? upgrade)
    {
        var key = ctx.Request.Headers["Sec-WebSocket-Key"].FirstOrDefault();
        if (upgrade is not { IsUpgradableRequest: true } || string.IsNullOrEmpty(key))
            throw Errors.BadRequest("a WebSocket upgrade needs Connection: Upgrade and Sec-WebSocket-Key");
        var accept = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(
            System.Text.Encoding.ASCII.GetBytes(key.Trim() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        ctx.Response.Headers.Connection = "Upgrade";
        ctx.Response.Headers.Upgrade = "websocket";
        ctx.Response.Headers["Sec-WebSocket-Accept"] = accept;
        ctx.Response.Headers["Sec-WebSocket-Protocol"] = PortForwardTunnel;
        var stream = await upgrade.UpgradeAsync().ConfigureAwait(false);
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.FromSeconds(30) });
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
