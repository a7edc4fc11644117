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

internal sealed partial class ApiHttpHandler
{
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
                    await WriteObjectAsync(ctx, type, IsDry(write) ? 200 : 201, result).ConfigureAwait(false);
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
            case (null or "status" or "ephemeralcontainers", "GET"):
                if (Bool(q["watch"].FirstOrDefault()) == true)
                {
                    await WatchAsync(ctx, scope with { Name = null, Subresource = null },
                        ListOptionsFrom(q) with { FieldSelector = Combine(q["fieldSelector"].FirstOrDefault(), $"metadata.name={info.Name}") }).ConfigureAwait(false);
                    return;
                }
                if (WantsTable(ctx))
                {
                    await WriteObjectAsync(ctx, type, 200, await registry.GetAsync(scope, ct).ConfigureAwait(false)).ConfigureAwait(false);
                    return;
                }
                // The stored bytes as served (no JSON tree); resourceVersion=0 may be answered by the watch cache, as upstream.
                await WriteStoredAsync(ctx, await registry.GetStoredAsync(scope, ct, anyVersion: q["resourceVersion"].FirstOrDefault() == "0").ConfigureAwait(false))
                    .ConfigureAwait(false);
                return;
            case (null or "status" or "ephemeralcontainers", "PUT"):
            {
                var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                var result = await registry.UpdateAsync(scope, body, write, ct).ConfigureAwait(false);
                AddWarnings(ctx, result.Warnings);
                await WriteObjectAsync(ctx, type, 200, result).ConfigureAwait(false);
                return;
            }
            case (null or "status" or "ephemeralcontainers", "PATCH"):
            {
                var patchType = PatchTypeOf(ctx);
                var body = await ReadTextAsync(ctx).ConfigureAwait(false);
                var result = await registry.PatchAsync(scope, patchType, body, write, ct).ConfigureAwait(false);
                AddWarnings(ctx, result.Warnings);
                await WriteObjectAsync(ctx, type, result.Created && !IsDry(write) ? 201 : 200, result).ConfigureAwait(false);
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
            case ("attach", "GET" or "POST"):
                await Kubelet.AttachAsync(ctx, scope).ConfigureAwait(false);
                return;
            case ("portforward", "GET" or "POST"):
                await Kubelet.PortForwardAsync(ctx, scope).ConfigureAwait(false);
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
            case ("binding" or "scale" or "eviction", _) or (null or "status" or "ephemeralcontainers", _):
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
}
