using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Authentication;
using Kube.ApiServer.Discovery;
using Kube.ApiServer.OpenApi;
using Kube.ApiServer.Registry;
using Kube.ApiServer.Storage;
using Kube.ApiServer.Tables;
using Kube.ApiServer.Watch;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Kube.ApiServer.Http;

internal sealed partial class ApiHttpHandler
{
    // ---------------------------------------------------------------- bodies

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private async Task<string> ReadTextAsync(HttpContext ctx, bool allowEmpty = false)
    {
        var bytes = await ReadBytesAsync(ctx).ConfigureAwait(false);
        if (bytes.Length == 0 && !allowEmpty) throw Errors.BadRequest("the request body is empty");
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Errors.BadRequest("the request body is not valid UTF-8");
        }
    }

    private static readonly object BodyReadKey = new();

    private async Task<byte[]> ReadBytesAsync(HttpContext ctx)
    {
        ctx.Items[BodyReadKey] = true;
        if (ctx.Request.ContentLength > options.MaxRequestBodySize) throw Errors.TooLarge();
        if (ctx.Request.ContentLength is { } length and <= 1 << 20)
        {
            // The usual case: read straight into an array of the announced size (no 16 KiB buffer, no copy).
            var body = new byte[length];
            var read = 0;
            while (read < body.Length)
            {
                var got = await ctx.Request.Body.ReadAsync(body.AsMemory(read), ctx.RequestAborted).ConfigureAwait(false);
                if (got == 0) throw Errors.BadRequest("the request body ended before its Content-Length");
                read += got;
            }
            return body;
        }
        using var ms = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted).ConfigureAwait(false)) > 0)
        {
            ms.Write(buffer, 0, n);
            if (ms.Length > options.MaxRequestBodySize) throw Errors.TooLarge();
        }
        return ms.ToArray();
    }

    private async Task<JsonObject> ReadObjectAsync(HttpContext ctx)
    {
        var media = ctx.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (media == "application/vnd.kubernetes.protobuf")
        {
            var body = await ReadBytesAsync(ctx).ConfigureAwait(false);
            try
            {
                return Protobuf.ProtobufDecoder.Decode(body) ?? throw Errors.UnsupportedMediaType(media);
            }
            catch (FormatException e)
            {
                throw Errors.BadRequest($"the protobuf body could not be decoded: {e.Message}");
            }
        }
        if (media is "application/yaml" or "application/x-yaml" or "text/yaml")
        {
            var text = await ReadTextAsync(ctx).ConfigureAwait(false);
            return Apply.ApplyBody.ParseYaml(text) as JsonObject ?? throw Errors.BadRequest("the body of the request must be an object");
        }
        if (media is not (null or "" or "application/json" or "*/*"))
            throw Errors.UnsupportedMediaType(media);
        var bytes = await ReadBytesAsync(ctx).ConfigureAwait(false);
        if (bytes.Length == 0) throw Errors.BadRequest("the request body is empty");
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw Errors.BadRequest("the request body is not valid UTF-8");
        try
        {
            return Json.ParseObject(bytes);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw Errors.BadRequest($"the body of the request could not be decoded: {e.Message}");
        }
    }

    // ---------------------------------------------------------------- responses

    private static bool WantsTable(HttpContext ctx) =>
        ctx.Request.Headers.Accept.Any(a => a is not null && a.Contains("as=Table", StringComparison.Ordinal));

    private static bool IncludeObject(HttpContext ctx) => ctx.Request.Query["includeObject"].FirstOrDefault() == "Object";

    private static void AddWarnings(HttpContext ctx, IReadOnlyList<string> warnings)
    {
        foreach (var w in warnings) ctx.Response.Headers.Append("Warning", $"299 - \"{w.Replace("\"", "\\\"")}\"");
    }

    private async Task WriteObjectAsync(HttpContext ctx, ResourceType t, int code, JsonObject obj)
    {
        if (WantsTable(ctx))
        {
            await WriteJsonAsync(ctx, code, tables.Table(t, [obj], true, IncludeObject(ctx), Json.Path(obj, "metadata", "resourceVersion"), null)).ConfigureAwait(false);
            return;
        }
        await WriteJsonAsync(ctx, code, obj).ConfigureAwait(false);
    }

    /// <summary>A write's object: the bytes just stored, resourceVersion spliced in, when they are the served form (no second serialization).</summary>
    private async Task WriteObjectAsync(HttpContext ctx, ResourceType t, int code, WriteResult result)
    {
        if (result.Stored is not { } stored || WantsTable(ctx))
        {
            await WriteObjectAsync(ctx, t, code, result.Object).ConfigureAwait(false);
            return;
        }
        await WriteStoredAsync(ctx, stored, code).ConfigureAwait(false);
    }

    private static async Task WriteStoredAsync(HttpContext ctx, StoredObject stored, int code = 200)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(ctx.Response.BodyWriter);
        ObjectCodec.WriteServed(w, stored.Value, stored.ModRevision);
        await w.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    private async Task ListAsync(HttpContext ctx, RequestScope scope, ListOptions o)
    {
        if (WantsTable(ctx))
        {
            await WriteListAsync(ctx, scope.Type, await registry.ListAsync(scope, o, ctx.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
            return;
        }
        // Items stay as stored bytes (resourceVersion spliced in on the way out) unless selectors or a conversion parsed them:
        // parsing 10,000 pods into JSON trees only to write them again was most of a large list's server time.
        var (items, revision, next) = await registry.ListCoreAsync(scope, o, static (value, rev, obj) => (value, rev, obj), ctx.RequestAborted)
            .ConfigureAwait(false);
        await WriteListAsync(ctx, scope.Type, revision, next, items, static (w, item) =>
        {
            if (item.obj is not null) item.obj.WriteTo(w);
            else ObjectCodec.WriteServed(w, item.value, item.rev);
        }).ConfigureAwait(false);
    }

    private async Task WriteListAsync(HttpContext ctx, ResourceType t, ListResult result)
    {
        if (WantsTable(ctx))
        {
            var rv = result.Revision.ToString(CultureInfo.InvariantCulture);
            await WriteJsonAsync(ctx, 200, tables.Table(t, result.Items, true, IncludeObject(ctx), rv, result.Continue)).ConfigureAwait(false);
            return;
        }
        await WriteListAsync(ctx, t, result.Revision, result.Continue, result.Items, static (w, item) => item.WriteTo(w)).ConfigureAwait(false);
    }

    private static async Task WriteListAsync<TItem>(HttpContext ctx, ResourceType t, long revision, string? next, List<TItem> items, Action<Utf8JsonWriter, TItem> write)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(ctx.Response.BodyWriter);
        w.WriteStartObject();
        w.WriteString("kind", t.ListKind);
        w.WriteString("apiVersion", t.ApiVersion);
        w.WriteStartObject("metadata");
        w.WriteString("resourceVersion", revision.ToString(CultureInfo.InvariantCulture));
        if (next is not null) w.WriteString("continue", next);
        w.WriteEndObject();
        w.WriteStartArray("items");
        foreach (var item in items)
        {
            write(w, item);
            if (w.BytesPending > 32 * 1024) await w.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        }
        w.WriteEndArray();
        w.WriteEndObject();
        await w.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    private async Task WatchAsync(HttpContext ctx, RequestScope scope, ListOptions o)
    {
        var table = WantsTable(ctx);
        var includeObject = IncludeObject(ctx);
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        metrics.WatchOpened();
        try
        {
            await StreamWatchAsync(ctx, scope, o, table, includeObject).ConfigureAwait(false);
        }
        finally
        {
            metrics.WatchClosed();
        }
    }

    private async Task StreamWatchAsync(HttpContext ctx, RequestScope scope, ListOptions o, bool table, bool includeObject)
    {
        var ct = ctx.RequestAborted;
        var first = true;
        var started = false;
        // Bytes written since the last flush: events already queued for this watcher go out together, flushed once
        // when the queue is drained (or every WatchFlushBytes), instead of one flush (HTTP/2 DATA frame, TLS record,
        // syscall) per event per watcher. Nothing waits in the buffer while the watcher waits for more events.
        var unflushed = 0;
        var stream = await registry.OpenWatchAsync(scope, o, ct).ConfigureAwait(false);
        await using var e = stream.GetAsyncEnumerator(ct);
        try
        {
            while (true)
            {
                bool has;
                try
                {
                    var moveNext = e.MoveNextAsync();
                    if (!moveNext.IsCompleted)
                    {
                        if (!started)
                        {
                            // Send the headers now: a watch with nothing to say yet is still a started watch.
                            await StartWatchAsync(ctx).ConfigureAwait(false);
                            started = true;
                        }
                        else if (unflushed > 0)
                        {
                            await ctx.Response.BodyWriter.FlushAsync(ct).ConfigureAwait(false);
                            unflushed = 0;
                        }
                    }
                    has = await moveNext.ConfigureAwait(false);
                }
                catch (KubeApiException ex) when (started)
                {
                    await WriteEventAsync(ctx, ObjectSnapshot.BuildFrame(WatchEventType.Error, Json.ToUtf8(StatusJson.ToObject(ex.Status))), ct).ConfigureAwait(false);
                    return;
                }
                if (!has) break;
                if (!started)
                {
                    await StartWatchAsync(ctx).ConfigureAwait(false);
                    started = true;
                }
                var item = e.Current;
                byte[] frame;
                if (table && item.Type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
                {
                    frame = ObjectSnapshot.BuildFrame(item.Type,
                        Json.ToUtf8(tables.Table(scope.Type, [item.Object.Object], first, includeObject, Json.Path(item.Object.Object, "metadata", "resourceVersion"), null)));
                    first = false;
                }
                else
                {
                    // Shared by every watcher of the same event: one copy of the event line for all of them.
                    frame = item.Object.Frame(item.Type);
                }
                // Into the response pipe without a flush (a write to Response.Body flushes every time).
                ctx.Response.BodyWriter.Write(frame);
                unflushed += frame.Length;
                if (unflushed >= WatchFlushBytes)
                {
                    await ctx.Response.BodyWriter.FlushAsync(ct).ConfigureAwait(false);
                    unflushed = 0;
                }
            }
            if (!started) await StartWatchAsync(ctx).ConfigureAwait(false);
            else if (unflushed > 0) await ctx.Response.BodyWriter.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>A watch stream flushes at least every 64 KiB while it drains queued events.</summary>
    private const int WatchFlushBytes = 64 * 1024;

    private static async Task StartWatchAsync(HttpContext ctx)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Response.Headers.CacheControl = "no-cache, private";
        await ctx.Response.StartAsync(ctx.RequestAborted).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteEventAsync(HttpContext ctx, byte[] frame, CancellationToken ct)
    {
        await ctx.Response.Body.WriteAsync(frame, ct).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext ctx, int code, JsonNode node)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(ctx.Response.BodyWriter);
        node.WriteTo(w);
        await w.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A discovery document with a strong ETag of its bytes; a matching If-None-Match is 304 with no body.</summary>
    private static async Task WriteDiscoveryAsync(HttpContext ctx, JsonNode node, string contentType = "application/json")
    {
        var bytes = Json.ToUtf8(node);
        var etag = "\"" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant() + "\"";
        ctx.Response.Headers.ETag = etag;
        ctx.Response.Headers.Vary = "Accept";
        ctx.Response.ContentType = contentType;
        var ifNoneMatch = ctx.Request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length > 0 && ifNoneMatch.Split(',').Any(t => t.Trim() == etag || t.Trim() == "*"))
        {
            ctx.Response.StatusCode = 304;
            return;
        }
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteStatusAsync(HttpContext ctx, V1Status status) => WriteJsonAsync(ctx, status.Code ?? 500, StatusJson.ToObject(status));

    private async Task WriteErrorAsync(HttpContext ctx, V1Status status)
    {
        if (ctx.Response.HasStarted) return;
        ctx.Response.Headers.Remove("Warning");
        // A body too big to drain (or a chunked one never read) ends the connection: say so, so that a client does
        // not send its next request on a connection the server is about to close.
        var unread = !ctx.Items.ContainsKey(BodyReadKey) && (ctx.Request.ContentLength is null ? ctx.Request.Headers.TransferEncoding.Count > 0 : ctx.Request.ContentLength > 0);
        if (status.Code == 413 || (unread && (ctx.Request.ContentLength is null || ctx.Request.ContentLength > options.MaxRequestBodySize)))
            ctx.Response.Headers.Connection = "close";
        await WriteStatusAsync(ctx, status).ConfigureAwait(false);
    }
}
