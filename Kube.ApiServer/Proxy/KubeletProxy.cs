using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Proxy;

/// <summary>
/// Pod subresources served by the node agent's kubelet endpoint (the node's InternalIP and
/// <c>status.daemonEndpoints.kubeletEndpoint.Port</c>): <c>log</c> is relayed as a stream (never buffered, so
/// <c>follow</c> works), <c>exec</c> and <c>attach</c> as a WebSocket (<c>v5.channel.k8s.io</c> / <c>v4.channel.k8s.io</c>) whose
/// frames are relayed both ways unchanged.
/// </summary>
internal sealed partial class KubeletProxy(GenericRegistry registry, KubeletClient kubeletClient)
{
    private readonly HttpClient http = kubeletClient.Http;

    /// <summary>The channel subprotocols relayed, best first.</summary>
    public static readonly string[] Subprotocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

    private static readonly string[] LogParameters = ["follow", "tailLines", "sinceSeconds", "sinceTime", "previous", "timestamps", "limitBytes"];

    public async Task LogAsync(HttpContext ctx, RequestScope s)
    {
        var ct = ctx.RequestAborted;
        await registry.AuthorizeAsync(s, "get", ct).ConfigureAwait(false);
        var (pod, container, baseUri) = await ResolveAsync(s, ctx.Request.Query["container"].FirstOrDefault(), ct).ConfigureAwait(false);
        var query = new StringBuilder();
        foreach (var p in LogParameters)
        {
            if (ctx.Request.Query[p].FirstOrDefault() is { } v)
                query.Append(query.Length == 0 ? '?' : '&').Append(p).Append('=').Append(Uri.EscapeDataString(v));
        }
        var uri = new Uri(baseUri, $"containerLogs/{Uri.EscapeDataString(s.Namespace!)}/{Uri.EscapeDataString(pod)}/{Uri.EscapeDataString(container)}{query}");
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e.Message);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                var code = (int)response.StatusCode;
                throw code == 404
                    ? Errors.BadRequest(text.Length > 0 ? text.Trim() : $"container \"{container}\" in pod \"{pod}\" is not available")
                    : Errors.Internal(text.Length > 0 ? text.Trim() : $"the kubelet answered {code}");
            }
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "text/plain";
            ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await ctx.Response.StartAsync(ct).ConfigureAwait(false);
            var buffer = new byte[16 * 1024];
            int n;
            while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            }
        }
    }

    public async Task ExecAsync(HttpContext ctx, RequestScope s)
    {
        var ct = ctx.RequestAborted;
        await registry.AuthorizeAsync(s, "create", ct).ConfigureAwait(false);
        var protocol = ChannelProtocol(ctx, "exec");
        var commands = ctx.Request.Query["command"].Where(c => c is not null).Select(c => c!).ToList();
        if (commands.Count == 0) throw Errors.BadRequest("you must specify at least 1 command");
        var (pod, container, baseUri) = await ResolveAsync(s, ctx.Request.Query["container"].FirstOrDefault(), ct).ConfigureAwait(false);

        var query = new StringBuilder();
        foreach (var c in commands) query.Append(query.Length == 0 ? '?' : '&').Append("command=").Append(Uri.EscapeDataString(c));
        AppendStreams(ctx, query);
        await RelayChannelsAsync(ctx, baseUri, $"exec/{Uri.EscapeDataString(s.Namespace!)}/{Uri.EscapeDataString(pod)}/{Uri.EscapeDataString(container)}{query}", protocol).ConfigureAwait(false);
    }

    /// <summary><c>pods/attach</c>: the same channel WebSocket as exec, to the kubelet's <c>/attach</c> (the container's own output).</summary>
    public async Task AttachAsync(HttpContext ctx, RequestScope s)
    {
        var ct = ctx.RequestAborted;
        await registry.AuthorizeAsync(s, "create", ct).ConfigureAwait(false);
        var protocol = ChannelProtocol(ctx, "attach");
        var (pod, container, baseUri) = await ResolveAsync(s, ctx.Request.Query["container"].FirstOrDefault(), ct).ConfigureAwait(false);
        var query = new StringBuilder();
        AppendStreams(ctx, query);
        await RelayChannelsAsync(ctx, baseUri, $"attach/{Uri.EscapeDataString(s.Namespace!)}/{Uri.EscapeDataString(pod)}/{Uri.EscapeDataString(container)}{query}", protocol).ConfigureAwait(false);
    }

    private static string ChannelProtocol(HttpContext ctx, string what)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
            throw Errors.BadRequest($"Upgrade request required: {what} is served over WebSocket (v5.channel.k8s.io or v4.channel.k8s.io); SPDY is not supported");
        var requested = ctx.WebSockets.WebSocketRequestedProtocols;
        return Subprotocols.FirstOrDefault(p => requested.Contains(p, StringComparer.Ordinal))
            ?? throw Errors.BadRequest($"none of the requested subprotocols ({string.Join(", ", requested)}) is supported; supported: {string.Join(", ", Subprotocols)}");
    }

    private static void AppendStreams(HttpContext ctx, StringBuilder query)
    {
        foreach (var p in new[] { "stdin", "stdout", "stderr", "tty" })
            if (ctx.Request.Query[p].FirstOrDefault() is { } v) query.Append(query.Length == 0 ? '?' : '&').Append(p).Append('=').Append(Uri.EscapeDataString(v));
    }

    /// <summary>Connects a channel WebSocket to the kubelet's <paramref name="path"/>, accepts the client's, and relays frames both ways unchanged.</summary>
    private async Task RelayChannelsAsync(HttpContext ctx, Uri baseUri, string path, string protocol)
    {
        var ct = ctx.RequestAborted;
        var target = new UriBuilder(baseUri) { Scheme = baseUri.Scheme == "https" ? "wss" : "ws" }.Uri;
        target = new Uri(target, path);

        using var upstream = new ClientWebSocket();
        upstream.Options.AddSubProtocol(protocol);
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
        using var downstream = await ctx.WebSockets.AcceptWebSocketAsync(upstream.SubProtocol ?? protocol).ConfigureAwait(false);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var a = RelayAsync(downstream, upstream, done.Token);
        var b = RelayAsync(upstream, downstream, done.Token);
        await Task.WhenAny(a, b).ConfigureAwait(false);
        // The kubelet closing (after the v5 status frame) ends the session; give the other direction a moment to flush.
        await Task.WhenAny(Task.WhenAll(a, b), Task.Delay(TimeSpan.FromSeconds(2), ct)).ConfigureAwait(false);
        await done.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(Quiet(a), Quiet(b)).ConfigureAwait(false);
    }

    private static async Task Quiet(Task t)
    {
        try
        {
            await t.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task RelayAsync(WebSocket from, WebSocket to, CancellationToken ct)
    {
        var buffer = new byte[32 * 1024];
        while (true)
        {
            var r = await from.ReceiveAsync(buffer, ct).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    await to.CloseOutputAsync(r.CloseStatus ?? WebSocketCloseStatus.NormalClosure, r.CloseStatusDescription, ct).ConfigureAwait(false);
                return;
            }
            await to.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The pod's name, the container (named, or the only one) and the kubelet endpoint of its node.</summary>
    private async Task<(string Pod, string Container, Uri Kubelet)> ResolveAsync(RequestScope s, string? container, CancellationToken ct)
    {
        var pod = await registry.GetAsync(s with { Subresource = null }, ct).ConfigureAwait(false);
        var name = Json.Name(pod);
        var spec = Json.Obj(pod, "spec");
        var names = new[] { "containers", "initContainers", "ephemeralContainers" }
            .SelectMany(f => Json.Arr(spec, f)?.OfType<JsonObject>() ?? [])
            .Select(c => Json.Str(c, "name") ?? "")
            .ToList();
        if (string.IsNullOrEmpty(container))
        {
            var main = Json.Arr(spec, "containers")?.OfType<JsonObject>().Select(c => Json.Str(c, "name") ?? "").ToList() ?? [];
            if (main.Count != 1)
                throw Errors.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", main)}]");
            container = main[0];
        }
        else if (!names.Contains(container))
        {
            throw Errors.BadRequest($"container {container} is not valid for pod {name}");
        }
        return (name, container, await KubeletOfAsync(pod, s, ct).ConfigureAwait(false));
    }

    /// <summary>The kubelet endpoint of the node the pod runs on.</summary>
    private async Task<Uri> KubeletOfAsync(JsonObject pod, RequestScope s, CancellationToken ct)
    {
        var name = Json.Name(pod);
        var nodeName = Json.Str(Json.Obj(pod, "spec"), "nodeName");
        if (string.IsNullOrEmpty(nodeName)) throw Errors.BadRequest($"pod {name} does not have a host assigned");
        var nodeType = registry.Types.FindByResource("", "v1", "nodes") ?? throw Errors.NotFound("nodes", nodeName);
        JsonObject node;
        try
        {
            node = await registry.GetAsync(new RequestScope(nodeType, null, nodeName, null, s.User), ct).ConfigureAwait(false);
        }
        catch (Kube.Core.Client.KubeApiException e) when (e.Status.Code == 404)
        {
            throw Errors.NotFound("nodes", nodeName);
        }
        var kubelet = KubeletUri(node)
            ?? throw Errors.BadRequest($"node {nodeName} does not advertise a kubelet endpoint (status.addresses InternalIP and status.daemonEndpoints.kubeletEndpoint.Port)");
        return kubeletClient.Rebase(kubelet);
    }

    /// <summary>The node's kubelet endpoint: its InternalIP and <c>status.daemonEndpoints.kubeletEndpoint.Port</c>; null when it advertises none.</summary>
    public static Uri? KubeletUri(JsonObject node)
    {
        var status = Json.Obj(node, "status");
        var address = Json.Arr(status, "addresses")?.OfType<JsonObject>()
            .Where(a => Json.Str(a, "type") == "InternalIP").Select(a => Json.Str(a, "address")).FirstOrDefault();
        var endpoint = Json.Obj(Json.Obj(status, "daemonEndpoints"), "kubeletEndpoint");
        var port = Json.Long(endpoint?["Port"]) ?? Json.Long(endpoint?["port"]);
        if (string.IsNullOrEmpty(address) || port is null or <= 0 or > 65535) return null;
        var host = address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;
        return Uri.TryCreate($"http://{host}:{port}/", UriKind.Absolute, out var uri) ? uri : null;
    }

    private static Kube.Core.Client.KubeApiException Unreachable(string why) =>
        Kube.Core.Client.KubeApiException.FromStatus(Kube.Core.Client.KubeApiException.NewStatus(502, "InternalError",
            $"error dialing backend: {why}"));
}
