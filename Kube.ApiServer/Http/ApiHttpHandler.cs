using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Authentication;
using Kube.ApiServer.Discovery;
using Kube.ApiServer.OpenApi;
using Kube.ApiServer.Registry;
using Kube.ApiServer.Tables;
using Kube.ApiServer.Watch;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Kube.ApiServer.Http;

/// <summary>
/// The HTTP front of the API server: path → <see cref="RequestInfo"/>, authentication, then discovery,
/// OpenAPI, health and version, or a resource request handed to the <see cref="GenericRegistry"/>.
/// Every failure is a v1 Status.
/// </summary>
internal sealed class ApiHttpHandler(
    GenericRegistry registry,
    IAuthenticator authenticator,
    Authorization.IAuthorizer authorizer,
    TableConvertor tables,
    OpenApiCache openApi,
    Diagnostics.ApiServerMetrics metrics,
    TimeProvider time,
    ApiServerOptions options,
    Func<string> serverAddress,
    Metrics.ResourceMetricsApi? resourceMetrics,
    ILogger<ApiHttpHandler> logger)
{
    private static readonly byte[] Newline = "\n"u8.ToArray();
    /// <summary>The client for node agents' kubelet endpoints (logs, exec, stats).</summary>
    internal static readonly HttpClient KubeletHttp = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10), UseProxy = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
    private Proxy.KubeletProxy Kubelet => field ??= new Proxy.KubeletProxy(registry, KubeletHttp);
    private ResourceTypeRegistry Types => registry.Types;

    /// <summary>Requests being served: [0] reads, [1] mutations.</summary>
    private readonly int[] _inFlight = new int[2];

    private static bool IsLongRunning(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        return ctx.Request.Query.ContainsKey("watch") || path.EndsWith("/log", StringComparison.Ordinal)
            || path.EndsWith("/exec", StringComparison.Ordinal) || path.StartsWith("/apis/watch/", StringComparison.Ordinal)
            || path.StartsWith("/api/v1/watch/", StringComparison.Ordinal);
    }

    public async Task HandleAsync(HttpContext ctx)
    {
        var started = time.GetTimestamp();
        var mutating = !HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method) && !HttpMethods.IsOptions(ctx.Request.Method);
        var counted = !IsLongRunning(ctx);
        var slot = mutating ? 1 : 0;
        var limit = mutating ? options.MaxMutatingRequestsInFlight : options.MaxRequestsInFlight;
        try
        {
            if (counted && Interlocked.Increment(ref _inFlight[slot]) > limit && limit > 0)
            {
                ctx.Response.Headers.RetryAfter = "1";
                await WriteErrorAsync(ctx, KubeApiException.NewStatus(429, "TooManyRequests", "Too many requests, please try again later.",
                    new V1StatusDetails { RetryAfterSeconds = 1 })).ConfigureAwait(false);
                return;
            }
            await HandleCoreAsync(ctx).ConfigureAwait(false);
        }
        finally
        {
            if (counted) Interlocked.Decrement(ref _inFlight[slot]);
            var info = RequestInfo.Parse(ctx.Request.Path.Value ?? "/");
            var resource = info.Kind == RequestPathKind.Resource
                ? (info.Subresource is null ? info.Resource! : $"{info.Resource}/{info.Subresource}")
                : "";
            var verb = ctx.Request.Method switch
            {
                "GET" when ctx.Request.Query.ContainsKey("watch") => "WATCH",
                "GET" when info.Kind == RequestPathKind.Resource && info.Name is null => "LIST",
                var m => m,
            };
            metrics.Request(verb, resource, ctx.Response.StatusCode, time.GetElapsedTime(started));
        }
    }

    private async Task HandleCoreAsync(HttpContext ctx)
    {
        var ct = ctx.RequestAborted;
        try
        {
            var path = ctx.Request.Path.Value ?? "/";
            switch (path.TrimEnd('/'))
            {
                case "/healthz" or "/livez" or "/readyz" or "/healthz/ping" or "/livez/ping" or "/readyz/ping":
                    ctx.Response.ContentType = "text/plain; charset=utf-8";
                    await ctx.Response.WriteAsync("ok", ct).ConfigureAwait(false);
                    return;
                case "/version":
                    await WriteJsonAsync(ctx, 200, Version()).ConfigureAwait(false);
                    return;
            }
            var user = await authenticator.AuthenticateAsync(ctx, ct).ConfigureAwait(false);
            if (user is null)
            {
                await WriteStatusAsync(ctx, KubeApiException.NewStatus(401, "Unauthorized", "Unauthorized")).ConfigureAwait(false);
                return;
            }
            user = await Security.Impersonation.ApplyAsync(ctx, user, authorizer, ct).ConfigureAwait(false);
            if (RequestInfo.Parse(path).Kind != RequestPathKind.Resource)
                await Security.NonResourceAuthorization.CheckAsync(ctx.Request.Method, path, user, authorizer, ct).ConfigureAwait(false);
            if (path.StartsWith("/openapi/", StringComparison.Ordinal) || path == "/openapi")
            {
                await OpenApiAsync(ctx, path).ConfigureAwait(false);
                return;
            }
            var info = RequestInfo.Parse(path);
            switch (info.Kind)
            {
                case RequestPathKind.ApiVersions when AggregatedDiscovery.IsRequested(ctx.Request.Headers.Accept.ToString()):
                    await WriteDiscoveryAsync(ctx, AggregatedDiscovery.Document(Types, core: true), AggregatedDiscovery.MediaType).ConfigureAwait(false);
                    return;
                case RequestPathKind.ApiGroupList when AggregatedDiscovery.IsRequested(ctx.Request.Headers.Accept.ToString()):
                    await WriteDiscoveryAsync(ctx, AggregatedDiscovery.Document(Types, core: false), AggregatedDiscovery.MediaType).ConfigureAwait(false);
                    return;
                case RequestPathKind.ApiVersions:
                    await WriteDiscoveryAsync(ctx, DiscoveryDocuments.ApiVersions(serverAddress())).ConfigureAwait(false);
                    return;
                case RequestPathKind.ApiGroupList:
                    await WriteDiscoveryAsync(ctx, DiscoveryDocuments.GroupList(Types)).ConfigureAwait(false);
                    return;
                case RequestPathKind.ApiGroup:
                    await WriteDiscoveryAsync(ctx, DiscoveryDocuments.GroupDocument(Types, info.Group) ?? throw Errors.PathNotFound(path)).ConfigureAwait(false);
                    return;
                case RequestPathKind.ResourceList:
                    await WriteDiscoveryAsync(ctx, DiscoveryDocuments.ResourceList(Types, info.Group, info.Version) ?? throw Errors.PathNotFound(path)).ConfigureAwait(false);
                    return;
                case RequestPathKind.Resource:
                    await ResourceAsync(ctx, info, user).ConfigureAwait(false);
                    return;
                default:
                    throw Errors.PathNotFound(path);
            }
        }
        catch (KubeApiException e)
        {
            await WriteErrorAsync(ctx, e.Status).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (BadHttpRequestException e)
        {
            var status = e.StatusCode == 413
                ? Errors.TooLarge().Status
                : Errors.BadRequest(e.Message).Status;
            await WriteErrorAsync(ctx, status).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Unhandled error serving {Method} {Path}", ctx.Request.Method, ctx.Request.Path.Value);
            await WriteErrorAsync(ctx, Errors.Internal(e.Message).Status).ConfigureAwait(false);
        }
    }

    private JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = options.GitVersion,
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-01-01T00:00:00Z",
        ["goVersion"] = "go1.23.0",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    private async Task OpenApiAsync(HttpContext ctx, string path)
    {
        if (path.TrimEnd('/') == "/openapi/v2")
        {
            var accept = ctx.Request.Headers.Accept.ToString();
            if (accept.Length > 0 && !accept.Contains("json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal))
                throw Errors.NotAcceptable("only application/json is served for /openapi/v2; use /openapi/v3");
            var v2 = openApi.V2();
            var etag = "\"" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(v2)).ToLowerInvariant() + "\"";
            ctx.Response.Headers.ETag = etag;
            if (ctx.Request.Headers.IfNoneMatch.ToString().Split(',').Any(t => t.Trim() == etag))
            {
                ctx.Response.StatusCode = 304;
                return;
            }
            await WriteBytesAsync(ctx, v2).ConfigureAwait(false);
            return;
        }
        if (path.TrimEnd('/') == "/openapi/v3")
        {
            await WriteBytesAsync(ctx, openApi.Index()).ConfigureAwait(false);
            return;
        }
        if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
        {
            var gv = path["/openapi/v3/".Length..].Trim('/').Split('/');
            var doc = gv switch
            {
                ["api", var v] => openApi.GroupVersion("", v),
                ["apis", var g, var v] => openApi.GroupVersion(g, v),
                _ => null,
            };
            if (doc is not null)
            {
                ctx.Response.Headers.CacheControl = ctx.Request.Query.ContainsKey("hash") ? "public, immutable" : "no-cache, private";
                await WriteBytesAsync(ctx, doc).ConfigureAwait(false);
                return;
            }
        }
        throw Errors.PathNotFound(path);
    }

    private static async Task WriteBytesAsync(HttpContext ctx, byte[] json)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = json.Length;
        await ctx.Response.Body.WriteAsync(json, ctx.RequestAborted).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- resources

    private async Task ResourceAsync(HttpContext ctx, RequestInfo info, UserInfo user)
    {
        var ct = ctx.RequestAborted;
        if (await Security.ReviewEndpoints.TryHandleAsync(ctx, info, user, authenticator, authorizer).ConfigureAwait(false)) return;
        if (info is { Group: "authorization.k8s.io", Version: "v1", Resource: "selfsubjectaccessreviews", Name: null } && ctx.Request.Method == "POST")
        {
            await SelfSubjectAccessReviewAsync(ctx, user).ConfigureAwait(false);
            return;
        }
        if (resourceMetrics is not null && info is { Group: Metrics.ResourceMetricsApi.Group, Version: Metrics.ResourceMetricsApi.Version })
        {
            await ResourceMetricsAsync(ctx, info, user, resourceMetrics).ConfigureAwait(false);
            return;
        }
        var type = Types.FindByResource(info.Group, info.Version, info.Resource!) ?? throw Errors.PathNotFound(ctx.Request.Path.Value ?? "");
        if (info.Namespace is not null && !type.Namespaced) throw Errors.PathNotFound(ctx.Request.Path.Value ?? "");
        if (info.Subresource is not null && !type.Subresources.Contains(info.Subresource)) throw Errors.PathNotFound(ctx.Request.Path.Value ?? "");
        var scope = new RequestScope(type, type.Namespaced ? info.Namespace : null, info.Name, info.Subresource, user);
        var q = ctx.Request.Query;
        var method = ctx.Request.Method;
        var write = new WriteOptions
        {
            DryRun = q["dryRun"].FirstOrDefault(),
            FieldManager = ctx.Request.ContentType?.StartsWith("application/apply-patch", StringComparison.OrdinalIgnoreCase) == true
                ? q["fieldManager"].FirstOrDefault()
                : Apply.FieldManager.ManagerFrom(q["fieldManager"].FirstOrDefault(), ctx.Request.Headers.UserAgent.FirstOrDefault()),
            FieldValidation = q["fieldValidation"].FirstOrDefault(),
            Force = Bool(q["force"].FirstOrDefault()),
        };

        if (info.Name is null)
        {
            switch (method)
            {
                case "GET":
                    if (Bool(q["watch"].FirstOrDefault()) == true)
                        await WatchAsync(ctx, scope, ListOptionsFrom(q)).ConfigureAwait(false);
                    else
                        await ListAsync(ctx, scope, ListOptionsFrom(q)).ConfigureAwait(false);
                    return;
                case "POST":
                {
                    if (type.Namespaced && scope.Namespace is null)
                        throw Errors.MethodNotAllowed($"the server does not allow this method on the requested resource");
                    var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                    var result = await registry.CreateAsync(scope, body, write, ct).ConfigureAwait(false);
                    AddWarnings(ctx, result.Warnings);
                    await WriteObjectAsync(ctx, type, IsDry(write) ? 200 : 201, result.Object).ConfigureAwait(false);
                    return;
                }
                case "DELETE":
                {
                    // As upstream, deletecollection of a namespaced kind is served per namespace only, never across all of them.
                    if (type.Namespaced && scope.Namespace is null)
                        throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
                    var del = await DeleteOptionsFromAsync(ctx).ConfigureAwait(false);
                    var result = await registry.DeleteCollectionAsync(scope, ListOptionsFrom(q), del, ct).ConfigureAwait(false);
                    await WriteListAsync(ctx, type, result).ConfigureAwait(false);
                    return;
                }
                default:
                    throw Errors.MethodNotAllowed($"the server does not allow this method on the requested resource");
            }
        }

        switch (info.Subresource, method)
        {
            case (null or "status", "GET"):
                if (Bool(q["watch"].FirstOrDefault()) == true)
                {
                    await WatchAsync(ctx, scope with { Name = null, Subresource = null },
                        ListOptionsFrom(q) with { FieldSelector = Combine(q["fieldSelector"].FirstOrDefault(), $"metadata.name={info.Name}") }).ConfigureAwait(false);
                    return;
                }
                await WriteObjectAsync(ctx, type, 200, await registry.GetAsync(scope, ct).ConfigureAwait(false)).ConfigureAwait(false);
                return;
            case (null or "status", "PUT"):
            {
                var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                var result = await registry.UpdateAsync(scope, body, write, ct).ConfigureAwait(false);
                AddWarnings(ctx, result.Warnings);
                await WriteObjectAsync(ctx, type, 200, result.Object).ConfigureAwait(false);
                return;
            }
            case (null or "status", "PATCH"):
            {
                var patchType = PatchTypeOf(ctx);
                var body = await ReadTextAsync(ctx).ConfigureAwait(false);
                var result = await registry.PatchAsync(scope, patchType, body, write, ct).ConfigureAwait(false);
                AddWarnings(ctx, result.Warnings);
                await WriteObjectAsync(ctx, type, result.Created && !IsDry(write) ? 201 : 200, result.Object).ConfigureAwait(false);
                return;
            }
            case (null, "DELETE"):
            {
                var del = await DeleteOptionsFromAsync(ctx).ConfigureAwait(false);
                var result = await registry.DeleteAsync(scope, del, ct).ConfigureAwait(false);
                await WriteObjectAsync(ctx, type, result.Remains ? 202 : 200, result.Object).ConfigureAwait(false);
                return;
            }
            case ("binding", "POST"):
            {
                var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                await registry.BindAsync(scope, body, write, ct).ConfigureAwait(false);
                var ok = new V1Status { ApiVersion = "v1", Kind = "Status", Metadata = new V1ListMeta(), Status = "Success", Code = 201 };
                await WriteJsonAsync(ctx, 201, StatusJson.ToObject(ok)).ConfigureAwait(false);
                return;
            }
            case ("log", "GET"):
                await Kubelet.LogAsync(ctx, scope).ConfigureAwait(false);
                return;
            case ("exec", "GET" or "POST"):
                await Kubelet.ExecAsync(ctx, scope).ConfigureAwait(false);
                return;
            case ("eviction", "POST"):
            {
                var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                await PodEviction.EvictAsync(registry, scope, body, ct).ConfigureAwait(false);
                var ok = new V1Status { ApiVersion = "v1", Kind = "Status", Metadata = new V1ListMeta(), Status = "Success", Code = 201 };
                await WriteJsonAsync(ctx, 201, StatusJson.ToObject(ok)).ConfigureAwait(false);
                return;
            }
            case ("scale", "GET"):
                await WriteJsonAsync(ctx, 200, await registry.GetScaleAsync(scope, ct).ConfigureAwait(false)).ConfigureAwait(false);
                return;
            case ("scale", "PUT"):
            {
                var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                var scale = await registry.UpdateScaleAsync(scope, _ => Json.Clone(body), write, ct,
                    precondition: !string.IsNullOrEmpty(Json.Path(body, "metadata", "resourceVersion"))).ConfigureAwait(false);
                await WriteJsonAsync(ctx, 200, scale).ConfigureAwait(false);
                return;
            }
            case ("scale", "PATCH"):
            {
                var patchType = PatchTypeOf(ctx);
                if (patchType == KubePatchType.Apply) throw Errors.UnsupportedMediaType(ctx.Request.ContentType ?? "");
                var body = await ReadTextAsync(ctx).ConfigureAwait(false);
                var scale = await registry.UpdateScaleAsync(scope, current => GenericRegistry.ApplyScalePatch(patchType, current, body), write, ct).ConfigureAwait(false);
                await WriteJsonAsync(ctx, 200, scale).ConfigureAwait(false);
                return;
            }
            case ("binding" or "scale" or "eviction", _) or (null or "status", _):
                throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
            default:
                throw Errors.PathNotFound(ctx.Request.Path.Value ?? "");
        }
    }

    /// <summary>metrics.k8s.io/v1beta1 (kubectl top): read-only, no watch, no subresources.</summary>
    private static async Task ResourceMetricsAsync(HttpContext ctx, RequestInfo info, UserInfo user, Metrics.ResourceMetricsApi api)
    {
        if (info.Subresource is not null) throw Errors.PathNotFound(ctx.Request.Path.Value ?? "");
        if (!HttpMethods.IsGet(ctx.Request.Method) || Bool(ctx.Request.Query["watch"].FirstOrDefault()) == true)
            throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        var q = ctx.Request.Query;
        var result = await api.GetAsync(info.Resource!, info.Namespace, info.Name, q["labelSelector"].FirstOrDefault(), q["fieldSelector"].FirstOrDefault(),
            user, ctx.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(ctx, 200, result).ConfigureAwait(false);
    }

    /// <summary>POST selfsubjectaccessreviews (kubectl auth can-i): asks the authorizer about the caller.</summary>
    private async Task SelfSubjectAccessReviewAsync(HttpContext ctx, UserInfo user)
    {
        var review = await ReadObjectAsync(ctx).ConfigureAwait(false);
        var spec = Json.Obj(review, "spec");
        var ra = Json.Obj(spec, "resourceAttributes");
        var nra = Json.Obj(spec, "nonResourceAttributes");
        if (ra is null && nra is null)
            throw Errors.Invalid(Types.FindByResource("", "v1", "pods")! with { Group = "authorization.k8s.io", Kind = "SelfSubjectAccessReview" }, "",
                [Errors.Required("spec.resourceAttributes", "exactly one of nonResourceAttributes or resourceAttributes must be specified")]);
        var attrs = ra is not null
            ? new Authorization.AuthorizationAttributes(user, Json.Str(ra, "verb") ?? "")
            {
                ApiGroup = Json.Str(ra, "group") ?? "",
                Resource = Json.Str(ra, "resource"),
                Subresource = string.IsNullOrEmpty(Json.Str(ra, "subresource")) ? null : Json.Str(ra, "subresource"),
                Namespace = string.IsNullOrEmpty(Json.Str(ra, "namespace")) ? null : Json.Str(ra, "namespace"),
                Name = string.IsNullOrEmpty(Json.Str(ra, "name")) ? null : Json.Str(ra, "name"),
            }
            : new Authorization.AuthorizationAttributes(user, Json.Str(nra, "verb") ?? "") { Path = Json.Str(nra, "path") };
        var decision = await authorizer.AuthorizeAsync(attrs, ctx.RequestAborted).ConfigureAwait(false);
        review["apiVersion"] = "authorization.k8s.io/v1";
        review["kind"] = "SelfSubjectAccessReview";
        review["status"] = new JsonObject
        {
            ["allowed"] = decision == Authorization.AuthorizationDecision.Allow,
            ["denied"] = decision == Authorization.AuthorizationDecision.Deny,
        };
        await WriteJsonAsync(ctx, 201, review).ConfigureAwait(false);
    }

    private static string Combine(string? a, string b) => string.IsNullOrEmpty(a) ? b : $"{a},{b}";

    private static bool IsDry(WriteOptions o) => !string.IsNullOrEmpty(o.DryRun);

    private static bool? Bool(string? v) => v switch
    {
        null => null,
        "" or "1" or "true" or "True" or "TRUE" => true,
        _ => false,
    };

    private static ListOptions ListOptionsFrom(IQueryCollection q)
    {
        int? Int(string name)
        {
            var v = q[name].FirstOrDefault();
            if (string.IsNullOrEmpty(v)) return null;
            return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
                ? i
                : throw Errors.BadRequest($"invalid value for {name}: \"{v}\"");
        }
        return new ListOptions
        {
            LabelSelector = q["labelSelector"].FirstOrDefault(),
            FieldSelector = q["fieldSelector"].FirstOrDefault(),
            ResourceVersion = q["resourceVersion"].FirstOrDefault(),
            ResourceVersionMatch = q["resourceVersionMatch"].FirstOrDefault(),
            Limit = Int("limit"),
            Continue = q["continue"].FirstOrDefault(),
            TimeoutSeconds = Int("timeoutSeconds"),
            AllowWatchBookmarks = Bool(q["allowWatchBookmarks"].FirstOrDefault()) == true,
            SendInitialEvents = Bool(q["sendInitialEvents"].FirstOrDefault()),
        };
    }

    private async Task<DeleteOptions> DeleteOptionsFromAsync(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        long? grace = null;
        if (q["gracePeriodSeconds"].FirstOrDefault() is { Length: > 0 } g)
        {
            grace = long.TryParse(g, NumberStyles.Integer, CultureInfo.InvariantCulture, out var gv) ? gv : throw Errors.BadRequest($"invalid gracePeriodSeconds \"{g}\"");
        }
        var policy = ParsePolicy(q["propagationPolicy"].FirstOrDefault());
        if (policy is null && Bool(q["orphanDependents"].FirstOrDefault()) is { } orphan) policy = orphan ? PropagationPolicy.Orphan : PropagationPolicy.Background;
        string? uid = null, rv = null;
        var dryRun = q["dryRun"].FirstOrDefault();
        var text = await ReadTextAsync(ctx, allowEmpty: true).ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(text))
        {
            JsonObject body;
            try
            {
                body = JsonNode.Parse(text, Json.NodeOptions, Json.DocumentOptions) as JsonObject ?? throw Errors.BadRequest("DeleteOptions must be a JSON object");
            }
            catch (JsonException e)
            {
                throw Errors.BadRequest($"error decoding DeleteOptions: {e.Message}");
            }
            if (Json.Long(body["gracePeriodSeconds"]) is { } bg) grace = bg;
            if (ParsePolicy(Json.Str(body, "propagationPolicy")) is { } bp) policy = bp;
            if (body["orphanDependents"] is JsonValue ov && ov.TryGetValue<bool>(out var ob) && policy is null) policy = ob ? PropagationPolicy.Orphan : PropagationPolicy.Background;
            var pre = Json.Obj(body, "preconditions");
            uid = Json.Str(pre, "uid");
            rv = Json.Str(pre, "resourceVersion");
            if (Json.Arr(body, "dryRun") is { Count: > 0 } dr) dryRun = Json.Str(dr[0]);
        }
        return new DeleteOptions { GracePeriodSeconds = grace, PropagationPolicy = policy, PreconditionUid = uid, PreconditionResourceVersion = rv, DryRun = dryRun };
    }

    private static PropagationPolicy? ParsePolicy(string? v) => v switch
    {
        null or "" => null,
        "Background" => PropagationPolicy.Background,
        "Foreground" => PropagationPolicy.Foreground,
        "Orphan" => PropagationPolicy.Orphan,
        _ => throw Errors.BadRequest($"propagationPolicy: Unsupported value: \"{v}\": supported values: \"Foreground\", \"Background\", \"Orphan\""),
    };

    private static KubePatchType PatchTypeOf(HttpContext ctx)
    {
        var contentType = ctx.Request.ContentType;
        var t = KubePatch.TypeOf(contentType) ?? throw Errors.UnsupportedMediaType(contentType ?? "");
        return t;
    }

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

    private async Task ListAsync(HttpContext ctx, RequestScope scope, ListOptions o)
    {
        var result = await registry.ListAsync(scope, o, ctx.RequestAborted).ConfigureAwait(false);
        await WriteListAsync(ctx, scope.Type, result).ConfigureAwait(false);
    }

    private async Task WriteListAsync(HttpContext ctx, ResourceType t, ListResult result)
    {
        var rv = result.Revision.ToString(CultureInfo.InvariantCulture);
        if (WantsTable(ctx))
        {
            await WriteJsonAsync(ctx, 200, tables.Table(t, result.Items, true, IncludeObject(ctx), rv, result.Continue)).ConfigureAwait(false);
            return;
        }
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(ctx.Response.BodyWriter);
        w.WriteStartObject();
        w.WriteString("kind", t.ListKind);
        w.WriteString("apiVersion", t.ApiVersion);
        w.WriteStartObject("metadata");
        w.WriteString("resourceVersion", rv);
        if (result.Continue is not null) w.WriteString("continue", result.Continue);
        w.WriteEndObject();
        w.WriteStartArray("items");
        foreach (var item in result.Items)
        {
            item.WriteTo(w);
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
                    if (!started && !moveNext.IsCompleted)
                    {
                        // Send the headers now: a watch with nothing to say yet is still a started watch.
                        await StartWatchAsync(ctx).ConfigureAwait(false);
                        started = true;
                    }
                    has = await moveNext.ConfigureAwait(false);
                }
                catch (KubeApiException ex) when (started)
                {
                    await WriteEventAsync(ctx, "ERROR", Json.ToUtf8(StatusJson.ToObject(ex.Status)), ct).ConfigureAwait(false);
                    return;
                }
                if (!has) break;
                if (!started)
                {
                    await StartWatchAsync(ctx).ConfigureAwait(false);
                    started = true;
                }
                var item = e.Current;
                byte[] payload;
                if (table && item.Type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
                {
                    payload = Json.ToUtf8(tables.Table(scope.Type, [item.Object.Object], first, includeObject, Json.Path(item.Object.Object, "metadata", "resourceVersion"), null));
                    first = false;
                }
                else
                {
                    payload = item.Object.Json;
                }
                await WriteEventAsync(ctx, TypeName(item.Type), payload, ct).ConfigureAwait(false);
            }
            if (!started) await StartWatchAsync(ctx).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private static async Task StartWatchAsync(HttpContext ctx)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Response.Headers.CacheControl = "no-cache, private";
        await ctx.Response.StartAsync(ctx.RequestAborted).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    private static string TypeName(WatchEventType t) => t switch
    {
        WatchEventType.Added => "ADDED",
        WatchEventType.Modified => "MODIFIED",
        WatchEventType.Deleted => "DELETED",
        WatchEventType.Bookmark => "BOOKMARK",
        _ => "ERROR",
    };

    private static async Task WriteEventAsync(HttpContext ctx, string type, byte[] objectJson, CancellationToken ct)
    {
        var head = Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"object\":");
        var buffer = new byte[head.Length + objectJson.Length + 2];
        head.CopyTo(buffer, 0);
        objectJson.CopyTo(buffer, head.Length);
        buffer[^2] = (byte)'}';
        buffer[^1] = Newline[0];
        await ctx.Response.Body.WriteAsync(buffer, ct).ConfigureAwait(false);
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
