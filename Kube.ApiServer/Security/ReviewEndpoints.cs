using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Authentication;
using Kube.ApiServer.Authorization;
using Kube.ApiServer.Http;
using Kube.ApiServer.Registry;
using Kube.Core.Admission;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Security;

/// <summary>
/// The review APIs that are answered, not stored: authorization.k8s.io/v1 subjectaccessreviews and
/// authentication.k8s.io/v1 tokenreviews and selfsubjectreviews (selfsubjectaccessreviews is served by the handler).
/// </summary>
internal static class ReviewEndpoints
{
    public static async ValueTask<bool> TryHandleAsync(HttpContext ctx, RequestInfo info, UserInfo user, IAuthenticator authenticator, IAuthorizer authorizer)
    {
        if (ctx.Request.Method != "POST" || info.Version != "v1") return false;
        if (info is { Group: "", Resource: "serviceaccounts", Subresource: "token", Namespace: not null, Name: not null })
        {
            if (authenticator is not AuthenticatorChain { Tokens: { } tokens } || tokens.Tokens.OfType<ServiceAccountTokenAuthenticator>().FirstOrDefault() is not { } sa)
                return false;
            await TokenRequestAsync(ctx, info.Namespace, info.Name, user, authorizer, sa).ConfigureAwait(false);
            return true;
        }
        if (info.Name is not null || info.Namespace is not null) return false;
        switch (info.Group, info.Resource)
        {
            case ("authorization.k8s.io", "subjectaccessreviews"):
                await RequireCreateAsync(user, authorizer, info, ctx.RequestAborted).ConfigureAwait(false);
                await SubjectAccessReviewAsync(ctx, authorizer).ConfigureAwait(false);
                return true;
            case ("authentication.k8s.io", "tokenreviews"):
                await RequireCreateAsync(user, authorizer, info, ctx.RequestAborted).ConfigureAwait(false);
                await TokenReviewAsync(ctx, authenticator).ConfigureAwait(false);
                return true;
            case ("authentication.k8s.io", "selfsubjectreviews"):
                var review = await ReadAsync(ctx).ConfigureAwait(false);
                review["apiVersion"] = "authentication.k8s.io/v1";
                review["kind"] = "SelfSubjectReview";
                review["status"] = new JsonObject { ["userInfo"] = UserJson(user) };
                await WriteAsync(ctx, review).ConfigureAwait(false);
                return true;
            default:
                return false;
        }
    }

    private static async ValueTask RequireCreateAsync(UserInfo user, IAuthorizer authorizer, RequestInfo info, CancellationToken ct)
    {
        var attrs = new AuthorizationAttributes(user, "create") { ApiGroup = info.Group, Resource = info.Resource };
        if (await authorizer.AuthorizeAsync(attrs, ct).ConfigureAwait(false) == AuthorizationDecision.Allow) return;
        throw Errors.Forbidden($"{info.Resource}.{info.Group} is forbidden: User \"{user.Name}\" cannot create resource \"{info.Resource}\" in API group \"{info.Group}\" at the cluster scope");
    }

    private static async Task SubjectAccessReviewAsync(HttpContext ctx, IAuthorizer authorizer)
    {
        var review = await ReadAsync(ctx).ConfigureAwait(false);
        var spec = review["spec"] as JsonObject ?? throw Errors.BadRequest("spec is required");
        var groups = (spec["groups"] as JsonArray)?.Select(g => g?.GetValue<string>() ?? "").Where(g => g.Length > 0).ToList() ?? [];
        var subject = new UserInfo(spec["user"]?.GetValue<string>() ?? "", groups) { Uid = spec["uid"]?.GetValue<string>() };
        if (subject.Name.Length == 0 && groups.Count == 0) throw Errors.BadRequest("at least one of user or group must be specified");
        var attrs = AttributesOf(spec, subject) ?? throw Errors.BadRequest("exactly one of nonResourceAttributes or resourceAttributes must be specified");
        var decision = await authorizer.AuthorizeAsync(attrs, ctx.RequestAborted).ConfigureAwait(false);
        review["apiVersion"] = "authorization.k8s.io/v1";
        review["kind"] = "SubjectAccessReview";
        review["status"] = new JsonObject
        {
            ["allowed"] = decision == AuthorizationDecision.Allow,
            ["denied"] = decision == AuthorizationDecision.Deny,
        };
        await WriteAsync(ctx, review).ConfigureAwait(false);
    }

    /// <summary>The attributes of a SubjectAccessReview-style spec (resourceAttributes or nonResourceAttributes).</summary>
    public static AuthorizationAttributes? AttributesOf(JsonObject spec, UserInfo user)
    {
        static string? S(JsonObject? o, string k) => o?[k] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
        if (spec["resourceAttributes"] is JsonObject ra)
            return new AuthorizationAttributes(user, S(ra, "verb") ?? "")
            {
                ApiGroup = S(ra, "group") ?? "",
                Resource = S(ra, "resource") ?? "",
                Subresource = S(ra, "subresource"),
                Namespace = S(ra, "namespace"),
                Name = S(ra, "name"),
            };
        if (spec["nonResourceAttributes"] is JsonObject nra)
            return new AuthorizationAttributes(user, S(nra, "verb") ?? "") { Path = S(nra, "path") ?? "" };
        return null;
    }

    private static async Task TokenReviewAsync(HttpContext ctx, IAuthenticator authenticator)
    {
        var review = await ReadAsync(ctx).ConfigureAwait(false);
        var token = review["spec"]?["token"]?.GetValue<string>() ?? "";
        UserInfo? user = null;
        if (token.Length > 0 && authenticator is AuthenticatorChain { Tokens: { } tokens })
            user = await tokens.AuthenticateTokenAsync(token, ctx.RequestAborted).ConfigureAwait(false);
        review["apiVersion"] = "authentication.k8s.io/v1";
        review["kind"] = "TokenReview";
        review["status"] = user is null
            ? new JsonObject { ["authenticated"] = false, ["error"] = "invalid bearer token" }
            : new JsonObject { ["authenticated"] = true, ["user"] = UserJson(AuthenticatorChain.WithAuthenticated(user)) };
        await WriteAsync(ctx, review).ConfigureAwait(false);
    }

    /// <summary>POST serviceaccounts/NAME/token: a bound token for the service account (upstream's TokenRequest).</summary>
    private static async Task TokenRequestAsync(HttpContext ctx, string ns, string name, UserInfo user, IAuthorizer authorizer, ServiceAccountTokenAuthenticator sa)
    {
        var attrs = new AuthorizationAttributes(user, "create") { Resource = "serviceaccounts", Subresource = "token", Namespace = ns, Name = name };
        if (await authorizer.AuthorizeAsync(attrs, ctx.RequestAborted).ConfigureAwait(false) != AuthorizationDecision.Allow)
            throw Errors.Forbidden($"serviceaccounts \"{name}\" is forbidden: User \"{user.Name}\" cannot create resource \"serviceaccounts/token\" in API group \"\" in the namespace \"{ns}\"");
        var review = await ReadAsync(ctx).ConfigureAwait(false);
        var spec = review["spec"] as JsonObject ?? new JsonObject();
        var audiences = (spec["audiences"] as JsonArray)?.Select(a => a?.GetValue<string>() ?? "").Where(a => a.Length > 0).ToList();
        if (audiences is not { Count: > 0 }) audiences = [.. sa.ApiAudiences];
        var seconds = spec["expirationSeconds"] is JsonValue ev && ev.TryGetValue<long>(out var s) ? s : 3600;
        if (seconds < 600) throw Errors.BadRequest("spec.expirationSeconds: Invalid value: may not specify a duration less than 10 minutes");
        if (seconds > 1L << 32) throw Errors.BadRequest("spec.expirationSeconds: Invalid value: may not specify a duration larger than 2^32 seconds");
        var client = sa.Client ?? throw Errors.Internal("the service account token issuer is not attached");
        k8s.Models.V1ServiceAccount account;
        try
        {
            account = await client.GetAsync<k8s.Models.V1ServiceAccount>(name, ns, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (Kube.Core.Client.KubeApiException e) when ((int)e.StatusCode == 404)
        {
            throw new Kube.Core.Client.KubeApiException(new k8s.Models.V1Status
            {
                ApiVersion = "v1", Kind = "Status", Status = "Failure", Code = 404, Reason = "NotFound",
                Message = $"serviceaccounts \"{name}\" not found",
                Details = new k8s.Models.V1StatusDetails { Name = name, Kind = "serviceaccounts" },
            });
        }
        (string Kind, string Name, string? Uid)? bound = null;
        if (spec["boundObjectRef"] is JsonObject b && b["kind"]?.GetValue<string>() is { } kind && b["name"]?.GetValue<string>() is { } bname)
        {
            if (kind is not ("Pod" or "Secret" or "Node")) throw Errors.BadRequest($"cannot bind token to object of kind \"{kind}\"");
            bound = (kind, bname, b["uid"]?.GetValue<string>());
        }
        var (token, expires) = sa.Issuer.Issue(ns, name, account.Metadata.Uid, audiences, TimeSpan.FromSeconds(seconds), bound);
        review["apiVersion"] = "authentication.k8s.io/v1";
        review["kind"] = "TokenRequest";
        var meta = review["metadata"] as JsonObject ?? new JsonObject();
        meta["name"] = name;
        meta["namespace"] = ns;
        meta["creationTimestamp"] = null;
        review["metadata"] = meta;
        spec["audiences"] = new JsonArray([.. audiences.Select(a => (JsonNode?)JsonValue.Create(a))]);
        spec["expirationSeconds"] = seconds;
        review["spec"] = spec;
        review["status"] = new JsonObject { ["token"] = token, ["expirationTimestamp"] = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) };
        await WriteAsync(ctx, review).ConfigureAwait(false);
    }

    private static JsonObject UserJson(UserInfo user)
    {
        var o = new JsonObject { ["username"] = user.Name, ["groups"] = new JsonArray([.. user.Groups.Select(g => (JsonNode?)JsonValue.Create(g))]) };
        if (user.Uid is not null) o["uid"] = user.Uid;
        if (user.Extra.Count > 0)
        {
            var extra = new JsonObject();
            foreach (var (k, v) in user.Extra) extra[k] = new JsonArray([.. v.Select(x => (JsonNode?)JsonValue.Create(x))]);
            o["extra"] = extra;
        }
        return o;
    }

    private static async Task<JsonObject> ReadAsync(HttpContext ctx)
    {
        if (ctx.Request.ContentType?.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.OrdinalIgnoreCase) == true)
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted).ConfigureAwait(false);
            try
            {
                return Protobuf.ProtobufDecoder.Decode(ms.ToArray()) ?? throw Errors.BadRequest("the protobuf body could not be decoded");
            }
            catch (FormatException e)
            {
                throw Errors.BadRequest($"the protobuf body could not be decoded: {e.Message}");
            }
        }
        try
        {
            return await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted).ConfigureAwait(false) as JsonObject
                ?? throw Errors.BadRequest("the body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw Errors.BadRequest($"invalid JSON: {e.Message}");
        }
    }

    private static async Task WriteAsync(HttpContext ctx, JsonObject body)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        ctx.Response.StatusCode = 201;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted).ConfigureAwait(false);
    }
}
