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
internal sealed partial class ApiHttpHandler(
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
    private readonly GenericRegistry registry = registry;
    private readonly IAuthenticator authenticator = authenticator;
    private readonly Authorization.IAuthorizer authorizer = authorizer;
    private readonly TableConvertor tables = tables;
    private readonly OpenApiCache openApi = openApi;
    private readonly Diagnostics.ApiServerMetrics metrics = metrics;
    private readonly TimeProvider time = time;
    private readonly ApiServerOptions options = options;
    private readonly Func<string> serverAddress = serverAddress;
    private readonly Metrics.ResourceMetricsApi? resourceMetrics = resourceMetrics;
    private readonly ILogger<ApiHttpHandler> logger = logger;

    private static readonly byte[] Newline = "\n"u8.ToArray();
    /// <summary>The client for node agents' kubelet endpoints (logs, exec): HTTPS with a client certificate when the security options give one.</summary>
    private Proxy.KubeletProxy Kubelet => field ??= new Proxy.KubeletProxy(registry, Proxy.KubeletClient.For(options.Security));
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

}
