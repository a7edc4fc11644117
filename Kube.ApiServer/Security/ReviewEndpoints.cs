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
        if (ctx.Request.Method != "POST" || info.Name is not null || info.Namespace is not null || info.Version != "v1") return false;
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
