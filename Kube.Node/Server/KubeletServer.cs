using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Kube.Node.Runtime;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Server;

/// <summary>
/// The node agent's HTTP server, in the role of the kubelet's server (plain HTTP on loopback, no authentication, unless
/// <see cref="KubeletServerOptions.Tls"/> is set: then HTTPS with client certificates, see <see cref="KubeletServerTlsOptions"/>):
/// <list type="bullet">
/// <item><c>GET /healthz</c>: "ok".</item>
/// <item><c>GET /containerLogs/{namespace}/{pod}/{container}?follow=&amp;tailLines=&amp;limitBytes=&amp;sinceSeconds=&amp;sinceTime=&amp;previous=&amp;timestamps=</c>:
/// text/plain, streamed while <c>follow=true</c> until the container stops or the client goes.</item>
/// <item><c>GET /exec/{namespace}/{pod}/{container}?command=..&amp;command=..&amp;stdin=&amp;stdout=&amp;stderr=&amp;tty=</c>: a WebSocket with the
/// <c>v5.channel.k8s.io</c> or <c>v4.channel.k8s.io</c> subprotocol; every message starts with its channel (0 stdin, 1 stdout,
/// 2 stderr, 3 status, 4 resize, 255 close in v5); the last message on channel 3 is a metav1.Status.</item>
/// <item><c>GET /attach/{namespace}/{pod}/{container}</c>: the same channel WebSocket with the container's output from now on, see <see cref="AttachHandler"/>.</item>
/// <item><c>GET /portForward/{namespace}/{pod}</c>: a WebSocket carrying a SPDY/3.1 port-forward session, see <see cref="PortForwardHandler"/>.</item>
/// <item><c>GET /stats/summary</c>: when a summary provider is set, upstream's Summary API.</item>
/// </list>
/// </summary>
public sealed class KubeletServer : IAsyncDisposable
{
    private static readonly string[] Subprotocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
    private readonly KubeletServerOptions _options;
    private readonly IContainerRuntime _runtime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private KubeletTlsFront? _tlsFront;

    public KubeletServer(KubeletServerOptions options, IContainerRuntime runtime, TimeProvider timeProvider, ILogger logger)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        if (!IPAddress.TryParse(options.Address, out var address) || !IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"KubeletServerOptions.Address \"{options.Address}\" must be a loopback address");
        }
    }

    /// <summary>The port listened on, once started.</summary>
    public int Port { get; private set; }

    /// <summary>Produces the <c>/stats/summary</c> JSON; null answers 404.</summary>
    public Func<CancellationToken, Task<string>>? SummaryProvider { get; set; }

    /// <summary>Starts listening.</summary>
    public void Start()
    {
        var port = _options.Tls is null ? _options.Port : 0;
        if (port == 0)
        {
            var probe = new System.Net.Sockets.TcpListener(IPAddress.Parse(_options.Address), 0);
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }

        _listener.Prefixes.Add($"http://{_options.Address}:{port}/");
        _listener.Start();
        Port = port;
        _loop = Task.Run(() => AcceptLoopAsync(_stopping.Token), CancellationToken.None);
        if (_options.Tls is { } tls)
        {
            // HTTPS only: the HttpListener is the backend of the TLS front, and answers nothing that did not come through it.
            _tlsFront = new KubeletTlsFront(tls, IPAddress.Parse(_options.Address), _options.Port, port, _logger);
            _tlsFront.Start();
            Port = _tlsFront.Port;
            _logger.LogInformation("Kubelet server listening on https://{Address}:{Port} (client certificates required)", _options.Address, Port);
            return;
        }

        _logger.LogInformation("Kubelet server listening on http://{Address}:{Port}", _options.Address, port);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_tlsFront is not null)
        {
            await _tlsFront.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            // The managed HttpListener may re-bind the endpoint while removing its prefix and fail when the port was taken since.
            if (_listener.IsListening)
            {
                _listener.Stop();
            }
        }
        catch (HttpListenerException ex)
        {
            _logger.LogDebug(ex, "Stopping the kubelet server's listener failed");
            try
            {
                _listener.Abort();
            }
            catch (HttpListenerException)
            {
            }
        }

        if (_loop is not null)
        {
            try
            {
                await _loop.WaitAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("The kubelet server's accept loop did not end within 5 s of stopping");
            }
        }

        try
        {
            _listener.Close();
        }
        catch (HttpListenerException ex)
        {
            _logger.LogDebug(ex, "Closing the kubelet server's listener failed");
        }
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context, cancellationToken), CancellationToken.None);
        }
    }

    private async Task HandleAsync(HttpListenerContext context, CancellationToken cancellationToken)
    {
        try
        {
            var path = context.Request.Url?.AbsolutePath ?? "/";
            if (_tlsFront is not null && !_tlsFront.IsRelayed(context.Request.RemoteEndPoint))
            {
                await WriteTextAsync(context.Response, 401, "Unauthorized").ConfigureAwait(false);
                return;
            }

            var parts = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
            if (path == "/healthz")
            {
                await WriteTextAsync(context.Response, 200, "ok").ConfigureAwait(false);
            }
            else if (parts is ["containerLogs", var ns, var pod, var container])
            {
                await ServeLogsAsync(context, ns, pod, container, cancellationToken).ConfigureAwait(false);
            }
            else if (parts is ["exec", var ens, var epod, var econtainer])
            {
                await ServeExecAsync(context, ens, epod, econtainer, cancellationToken).ConfigureAwait(false);
            }
            else if (parts is ["attach", var ans, var apod, var acontainer])
            {
                await new AttachHandler(_runtime, _options.FollowPollInterval, _time, _logger).ServeAsync(context, ans, apod, acontainer, cancellationToken).ConfigureAwait(false);
            }
            else if (parts is ["portForward", var pns, var ppod])
            {
                await new PortForwardHandler(_runtime, _time, _logger).ServeAsync(context, pns, ppod, cancellationToken).ConfigureAwait(false);
            }
            else if (path == "/stats/summary" && SummaryProvider is { } summary)
            {
                var json = await summary(cancellationToken).ConfigureAwait(false);
                context.Response.ContentType = "application/json";
                await WriteTextAsync(context.Response, 200, json).ConfigureAwait(false);
            }
            else
            {
                await WriteTextAsync(context.Response, 404, $"404 page not found: {path}").ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException or WebSocketException or OperationCanceledException)
        {
            _logger.LogDebug(ex, "Kubelet server request ended early");
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Kubelet server request {Path} failed", context.Request.Url?.AbsolutePath);
        }
        finally
        {
            try
            {
                if (context.Request.IsWebSocketRequest && context.Response.StatusCode == 101)
                {
                    // The connection belongs to the WebSocket: closing the response would write HTTP bytes into it.
                    context.Response.Abort();
                }
                else
                {
                    context.Response.Close();
                }
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }

    private async Task<(PodSandboxStatus Sandbox, List<ContainerStatus> Runs)?> FindAsync(string ns, string pod, string container, CancellationToken cancellationToken)
    {
        var sandbox = (await _runtime.ListPodSandboxesAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => s.PodNamespace == ns && s.PodName == pod).MaxBy(s => s.CreatedAt);
        if (sandbox is null)
        {
            return null;
        }

        var runs = (await _runtime.ListContainersAsync(sandbox.Id, cancellationToken).ConfigureAwait(false))
            .Where(c => c.Name == container).OrderBy(c => c.Attempt).ToList();
        return runs.Count == 0 ? null : (sandbox, runs);
    }

    private async Task ServeLogsAsync(HttpListenerContext context, string ns, string pod, string container, CancellationToken cancellationToken)
    {
        var q = context.Request.QueryString;
        var follow = Bool(q["follow"]);
        var previous = Bool(q["previous"]);
        var timestamps = Bool(q["timestamps"]);
        if (!TryInt(q["tailLines"], out var tailLines) || !TryInt(q["limitBytes"], out var limitBytes) || !TryInt(q["sinceSeconds"], out var sinceSeconds))
        {
            await WriteTextAsync(context.Response, 400, "tailLines, limitBytes and sinceSeconds must be integers").ConfigureAwait(false);
            return;
        }

        var found = await FindAsync(ns, pod, container, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            await WriteTextAsync(context.Response, 404, $"container \"{container}\" in pod \"{pod}\" (namespace \"{ns}\") not found on this node").ConfigureAwait(false);
            return;
        }

        var runs = found.Value.Runs;
        var target = previous ? (runs.Count > 1 ? runs[^2] : null) : runs[^1];
        if (target?.LogPath is not { } logPath)
        {
            await WriteTextAsync(context.Response, 400, $"previous terminated container \"{container}\" in pod \"{pod}\" not found").ConfigureAwait(false);
            return;
        }

        DateTimeOffset? since = sinceSeconds is > 0 ? _time.GetUtcNow().AddSeconds(-sinceSeconds.Value)
            : DateTimeOffset.TryParse(q["sinceTime"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var st) ? st : null;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        context.Response.SendChunked = true;
        var output = context.Response.OutputStream;
        // CRI runtimes write CRI's log format (with their own times): decode it; the process runtime's logs are the raw output.
        var head = new byte[512];
        int headLength;
        await using (var peek = new FileStream(logPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            headLength = await peek.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }

        var cri = CriLogDecoder.LooksLikeCri(head.AsSpan(0, headLength)) ? new CriLogDecoder(timestamps) : null;
        var writer = new LogWriter(output, timestamps && cri is null, limitBytes, _time);
        ReadOnlyMemory<byte> Decode(ReadOnlyMemory<byte> raw) => cri is null ? raw : cri.Decode(raw.Span);

        await using var file = new FileStream(logPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        // The process runtime writes no per-line times: sinceSeconds/sinceTime skip the whole file when it was last written before then.
        var skipOld = since is { } s && File.GetLastWriteTimeUtc(logPath) < s.UtcDateTime;
        if (!skipOld)
        {
            var existing = new byte[file.Length];
            var n = await file.ReadAtLeastAsync(existing, existing.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            // Older output lives in the rotated parts (log rotation by size): the whole log, or enough of it for tailLines.
            var all = ContainerLogFiles.WithRotated(logPath, existing[..n], tailLines is >= 0 ? tailLines : null);
            ReadOnlyMemory<byte> data = all;
            if (tailLines is >= 0)
            {
                data = Tail(all, tailLines.Value);
            }

            if (!await writer.WriteAsync(Decode(data), cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
        else
        {
            file.Seek(0, SeekOrigin.End);
        }

        if ((!follow || previous) && cri is not null)
        {
            await writer.WriteAsync(cri.Flush(), cancellationToken).ConfigureAwait(false);
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (!follow || previous)
        {
            return;
        }

        var buffer = new byte[64 * 1024];
        while (!cancellationToken.IsCancellationRequested)
        {
            var n = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n > 0)
            {
                if (!await writer.WriteAsync(Decode(buffer.AsMemory(0, n)), cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (file.Length < file.Position)
            {
                // Rotated: the newest part holds what left the file's head (whole blocks the rotator cut, or all of it
                // before a copy and truncate), so the unread output starts that much earlier.
                var parts = ContainerLogFiles.Rotated(logPath);
                var cut = parts.Count > 0 ? new FileInfo(parts[^1]).Length : file.Position;
                file.Seek(Math.Clamp(file.Position - cut, 0, file.Length), SeekOrigin.Begin);
                continue;
            }

            var status = await _runtime.ContainerStatusAsync(target.Id, cancellationToken).ConfigureAwait(false);
            if (status is null || status.State != ContainerState.Running)
            {
                // One more read: the last output may have landed after the previous one.
                n = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(Decode(buffer.AsMemory(0, n)), cancellationToken).ConfigureAwait(false);
                if (cri is not null)
                {
                    await writer.WriteAsync(cri.Flush(), cancellationToken).ConfigureAwait(false);
                }

                await writer.FlushPartialAsync(cancellationToken).ConfigureAwait(false);
                return;
            }

            await Task.Delay(_options.FollowPollInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ServeExecAsync(HttpListenerContext context, string ns, string pod, string container, CancellationToken cancellationToken)
    {
        var q = context.Request.QueryString;
        var command = q.GetValues("command") ?? q.GetValues("input") ?? [];
        if (!context.Request.IsWebSocketRequest)
        {
            await WriteTextAsync(context.Response, 400, "exec needs a WebSocket upgrade with the v5.channel.k8s.io or v4.channel.k8s.io subprotocol (SPDY is not supported)").ConfigureAwait(false);
            return;
        }

        var offered = (context.Request.Headers["Sec-WebSocket-Protocol"] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var protocol = Subprotocols.FirstOrDefault(p => offered.Contains(p, StringComparer.Ordinal));
        if (protocol is null)
        {
            await WriteTextAsync(context.Response, 400, $"none of the offered subprotocols [{string.Join(", ", offered)}] is supported; use {string.Join(" or ", Subprotocols)}").ConfigureAwait(false);
            return;
        }

        if (command.Length == 0)
        {
            await WriteTextAsync(context.Response, 400, "no command given: pass command=... once per argument").ConfigureAwait(false);
            return;
        }

        var found = await FindAsync(ns, pod, container, cancellationToken).ConfigureAwait(false);
        if (found is null || _runtime is not IStreamingRuntime streaming)
        {
            await WriteTextAsync(context.Response, found is null ? 404 : 501,
                found is null ? $"container \"{container}\" in pod \"{pod}\" (namespace \"{ns}\") not found on this node" : $"the {_runtime.RuntimeName} runtime does not support exec").ConfigureAwait(false);
            return;
        }

        using var ws = (await context.AcceptWebSocketAsync(protocol).ConfigureAwait(false)).WebSocket;
        await new ExecSession(ws, protocol == Subprotocols[0], _time, _logger).RunAsync(streaming, found.Value.Runs[^1].Id, command,
            Bool(q["stdin"]), q["stdout"] is null || Bool(q["stdout"]), q["stderr"] is null || Bool(q["stderr"]), Bool(q["tty"]), cancellationToken).ConfigureAwait(false);
    }

    private static ReadOnlyMemory<byte> Tail(Memory<byte> data, int lines)
    {
        if (lines == 0)
        {
            return Memory<byte>.Empty;
        }

        var span = data.Span;
        var end = span.Length > 0 && span[^1] == (byte)'\n' ? span.Length - 1 : span.Length;
        var count = 0;
        for (var i = end - 1; i >= 0; i--)
        {
            if (span[i] == (byte)'\n' && ++count == lines)
            {
                return data[(i + 1)..];
            }
        }

        return data;
    }

    private static bool Bool(string? value) => value is not null && (value == "" || value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    private static bool TryInt(string? value, out int? result)
    {
        result = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            result = v;
            return true;
        }

        return false;
    }

    private static async Task WriteTextAsync(HttpListenerResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType ??= "text/plain; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(text);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }
}
