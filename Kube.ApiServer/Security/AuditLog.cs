using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Authentication;
using Kube.ApiServer.Http;
using Kube.Core.Admission;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Security;

/// <summary>
/// Upstream's log audit backend (<c>--audit-log-path</c>, <c>--audit-policy-file</c>): one audit.k8s.io/v1 <c>Event</c>
/// per line, at the stages RequestReceived, ResponseStarted (long-running requests: watch, exec, attach, port-forward, logs)
/// and ResponseComplete (unless the policy omits them), for every request the
/// policy gives a level above None. Metadata: user, impersonated user, verb, objectRef, source IP, user agent, response
/// code, timestamps; Request adds the request body (JSON, or a protobuf body decoded to its JSON object, as upstream); RequestResponse adds the JSON response body (not for watches,
/// logs and exec streams). Each response carries the <c>Audit-Id</c> header. Bodies are kept up to
/// <see cref="MaxBodyBytes"/>. Writes are serialized and flushed per line; "-" writes to standard output; a file rotates as
/// upstream's (<c>--audit-log-maxsize/maxbackup/maxage</c>, see <see cref="AuditLogFile"/>).
/// </summary>
internal sealed class AuditLog(AuditPolicy policy, string path, IAuthenticator authenticator, TimeProvider time,
    int maxSizeMegabytes = 0, int maxBackups = 0, int maxAgeDays = 0, long? maxBytesForTests = null) : IDisposable
{
    /// <summary>The largest request or response body put into an event. 1 MiB.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    private static readonly string[] StreamingSubresources = ["log", "exec", "attach", "portforward", "proxy"];
    private readonly Lock _gate = new();
    private readonly AuditLogFile? _file = path == "-" ? null : new AuditLogFile(path, maxSizeMegabytes, maxBackups, maxAgeDays, time, maxBytesForTests);

    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        var requestPath = ctx.Request.Path.Value ?? "/";
        UserInfo? user = null;
        try
        {
            user = await authenticator.AuthenticateAsync(ctx, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // the handler answers for bad credentials; the event records no user
        }
        var info = RequestInfo.Parse(requestPath);
        var isResource = info.Kind == RequestPathKind.Resource;
        var verb = VerbOf(ctx.Request, info, isResource);
        var attributes = new AuditAttributes(user?.Name, user?.Groups ?? [], verb, info.Group, isResource ? info.Resource : null, info.Subresource,
            info.Namespace, info.Name, requestPath);
        var (level, omit) = policy.Evaluate(attributes);
        if (level == AuditLevel.None)
        {
            await next(ctx).ConfigureAwait(false);
            return;
        }

        var auditId = Guid.NewGuid().ToString();
        ctx.Response.Headers["Audit-Id"] = auditId;
        var received = time.GetUtcNow();
        JsonNode? requestObject = null;
        var method = ctx.Request.Method;
        if (level >= AuditLevel.Request && (HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method)))
            requestObject = await ReadRequestBodyAsync(ctx).ConfigureAwait(false);
        var streaming = verb == "watch" || ctx.WebSockets.IsWebSocketRequest || (info.Subresource is { } sub && StreamingSubresources.Contains(sub));
        if (!omit.Contains("RequestReceived")) Write(Event(ctx, auditId, level, "RequestReceived", verb, user, info, isResource, received, requestObject, null, null));
        if (streaming && !omit.Contains("ResponseStarted"))
        {
            // long-running requests (watch, exec, attach, port-forward, logs) also get an event once the response headers go out, as upstream
            ctx.Response.OnStarting(() =>
            {
                Write(Event(ctx, auditId, level, "ResponseStarted", verb, user, info, isResource, received, requestObject, null, ctx.Response.StatusCode));
                return Task.CompletedTask;
            });
        }

        var original = ctx.Response.Body;
        CapturingStream? capture = level == AuditLevel.RequestResponse && !streaming ? new CapturingStream(original, MaxBodyBytes) : null;
        if (capture is not null) ctx.Response.Body = capture;
        try
        {
            await next(ctx).ConfigureAwait(false);
            // what the handler wrote through BodyWriter is buffered in the capturing feature's pipe: push it out before the
            // original stream comes back (reverting the body drops that feature)
            if (capture is not null) await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            if (capture is not null) ctx.Response.Body = original;
            if (!omit.Contains("ResponseComplete"))
            {
                var responseObject = capture?.Captured is { Length: > 0 } bytes && IsJson(ctx.Response.ContentType) ? TryParse(bytes) : null;
                Write(Event(ctx, auditId, level, "ResponseComplete", verb, user, info, isResource, received, requestObject, responseObject, ctx.Response.StatusCode));
            }
        }
    }

    private JsonObject Event(HttpContext ctx, string auditId, AuditLevel level, string stage, string verb, UserInfo? user, RequestInfo info, bool isResource,
        DateTimeOffset received, JsonNode? requestObject, JsonNode? responseObject, int? code)
    {
        var e = new JsonObject
        {
            ["kind"] = "Event",
            ["apiVersion"] = "audit.k8s.io/v1",
            ["level"] = level.ToString(),
            ["auditID"] = auditId,
            ["stage"] = stage,
            ["requestURI"] = ctx.Request.Path.Value + ctx.Request.QueryString.Value,
            ["verb"] = verb,
            ["user"] = user is null ? new JsonObject() : UserJson(user.Name, user.Uid, user.Groups),
        };
        if (ctx.Request.Headers["Impersonate-User"].FirstOrDefault() is { Length: > 0 } impersonated)
            e["impersonatedUser"] = UserJson(impersonated, ctx.Request.Headers["Impersonate-Uid"].FirstOrDefault(),
                ctx.Request.Headers["Impersonate-Group"].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).ToList());
        e["sourceIPs"] = new JsonArray(ctx.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1");
        if (ctx.Request.Headers.UserAgent.FirstOrDefault() is { Length: > 0 } agent) e["userAgent"] = agent;
        if (isResource)
        {
            var objectRef = new JsonObject { ["resource"] = info.Resource };
            if (info.Namespace is not null) objectRef["namespace"] = info.Namespace;
            if (info.Name is not null) objectRef["name"] = info.Name;
            if (info.Group.Length > 0) objectRef["apiGroup"] = info.Group;
            objectRef["apiVersion"] = info.Version;
            if (info.Subresource is not null) objectRef["subresource"] = info.Subresource;
            e["objectRef"] = objectRef;
        }
        if (code is { } c) e["responseStatus"] = new JsonObject { ["metadata"] = new JsonObject(), ["code"] = c };
        if (requestObject is not null) e["requestObject"] = requestObject.DeepClone();
        if (responseObject is not null) e["responseObject"] = responseObject;
        e["requestReceivedTimestamp"] = Timestamp(received);
        e["stageTimestamp"] = Timestamp(time.GetUtcNow());
        return e;
    }

    private static JsonObject UserJson(string name, string? uid, IEnumerable<string> groups)
    {
        var u = new JsonObject { ["username"] = name };
        if (!string.IsNullOrEmpty(uid)) u["uid"] = uid;
        u["groups"] = new JsonArray(groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray());
        return u;
    }

    private static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static string VerbOf(HttpRequest request, RequestInfo info, bool isResource)
    {
        var m = request.Method;
        if (!isResource) return m.ToLowerInvariant();
        if (HttpMethods.IsGet(m) || HttpMethods.IsHead(m))
        {
            if (request.Query["watch"].FirstOrDefault() is "true" or "1") return "watch";
            return info.Name is null ? "list" : "get";
        }
        if (HttpMethods.IsPost(m)) return "create";
        if (HttpMethods.IsPut(m)) return "update";
        if (HttpMethods.IsPatch(m)) return "patch";
        if (HttpMethods.IsDelete(m)) return info.Name is null ? "deletecollection" : "delete";
        return m.ToLowerInvariant();
    }

    private static bool IsJson(string? contentType) => contentType is not null && contentType.Contains("json", StringComparison.OrdinalIgnoreCase);

    private static async Task<JsonNode?> ReadRequestBodyAsync(HttpContext ctx)
    {
        var protobuf = ctx.Request.ContentType?.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.OrdinalIgnoreCase) == true;
        if (!IsJson(ctx.Request.ContentType) && !protobuf || ctx.Request.ContentLength > MaxBodyBytes) return null;
        ctx.Request.EnableBuffering(MaxBodyBytes);
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await ctx.Request.Body.ReadAsync(chunk, ctx.RequestAborted).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxBodyBytes) break;
        }
        ctx.Request.Body.Position = 0;
        if (buffer.Length is 0 or > MaxBodyBytes) return null;
        if (!protobuf) return TryParse(buffer.ToArray());
        // as upstream, a protobuf body is logged as the object it decodes to, in JSON
        try
        {
            return Protobuf.ProtobufDecoder.IsEnvelope(buffer.GetBuffer().AsSpan(0, (int)buffer.Length))
                ? Protobuf.ProtobufDecoder.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static JsonNode? TryParse(byte[] bytes)
    {
        try
        {
            return JsonNode.Parse(bytes);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Write(JsonObject e)
    {
        var line = e.ToJsonString();
        lock (_gate)
        {
            if (_file is null)
            {
                Console.Out.WriteLine(line);
                Console.Out.Flush();
            }
            else
            {
                _file.WriteLine(line);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate) _file?.Dispose();
    }

    /// <summary>Passes the response through unchanged and keeps a copy of its first bytes.</summary>
    private sealed class CapturingStream(Stream inner, int limit) : Stream
    {
        private readonly MemoryStream _copy = new();

        public byte[] Captured => _copy.Length <= limit ? _copy.ToArray() : [];

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Keep(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Keep(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void Keep(ReadOnlySpan<byte> bytes)
        {
            if (_copy.Length <= limit) _copy.Write(bytes);
        }
    }
}
