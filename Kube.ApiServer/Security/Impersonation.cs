using Kube.ApiServer.Authentication;
using Kube.ApiServer.Authorization;
using Kube.ApiServer.Registry;
using Kube.Core.Admission;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Security;

/// <summary>
/// Upstream's impersonation filter: <c>Impersonate-User</c>, <c>Impersonate-Group</c>, <c>Impersonate-Uid</c> and
/// <c>Impersonate-Extra-*</c> headers, each authorized with verb <c>impersonate</c> (users, groups, serviceaccounts,
/// uids, userextras/&lt;key&gt;) for the requesting user.
/// </summary>
internal static class Impersonation
{
    public static async ValueTask<UserInfo> ApplyAsync(HttpContext ctx, UserInfo requester, IAuthorizer authorizer, CancellationToken ct)
    {
        var h = ctx.Request.Headers;
        var userName = h["Impersonate-User"].FirstOrDefault();
        var groups = h["Impersonate-Group"].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).ToList();
        var uid = h["Impersonate-Uid"].FirstOrDefault();
        var extraHeaders = h.Keys.Where(k => k.StartsWith("Impersonate-Extra-", StringComparison.OrdinalIgnoreCase)).ToList();
        if (string.IsNullOrEmpty(userName))
        {
            if (groups.Count > 0 || extraHeaders.Count > 0 || !string.IsNullOrEmpty(uid))
                throw Errors.BadRequest("requested impersonation without Impersonate-User");
            return requester;
        }

        const string saPrefix = "system:serviceaccount:";
        if (userName.StartsWith(saPrefix, StringComparison.Ordinal) && userName[saPrefix.Length..].Split(':') is [var ns, var sa])
            await CheckAsync(requester, authorizer, "", "serviceaccounts", ns, sa, null, ct).ConfigureAwait(false);
        else
            await CheckAsync(requester, authorizer, "", "users", null, userName, null, ct).ConfigureAwait(false);
        foreach (var g in groups) await CheckAsync(requester, authorizer, "", "groups", null, g, null, ct).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(uid)) await CheckAsync(requester, authorizer, "authentication.k8s.io", "uids", null, uid, null, ct).ConfigureAwait(false);
        var extra = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var k in extraHeaders)
        {
            var key = Uri.UnescapeDataString(k["Impersonate-Extra-".Length..]).ToLowerInvariant();
            var values = h[k].Where(v => v is not null).Select(v => v!).ToList();
            foreach (var v in values) await CheckAsync(requester, authorizer, "authentication.k8s.io", "userextras", null, v, key, ct).ConfigureAwait(false);
            extra[key] = values;
        }

        if (userName.StartsWith(saPrefix, StringComparison.Ordinal) && userName[saPrefix.Length..].Split(':') is [var sns, _])
            groups = [.. groups, "system:serviceaccounts", "system:serviceaccounts:" + sns];
        var user = new UserInfo(userName, groups.Distinct().ToList()) { Uid = string.IsNullOrEmpty(uid) ? null : uid, Extra = extra };
        return AuthenticatorChain.WithAuthenticated(user);
    }

    private static async ValueTask CheckAsync(UserInfo requester, IAuthorizer authorizer, string group, string resource, string? ns, string name, string? sub, CancellationToken ct)
    {
        var attrs = new AuthorizationAttributes(requester, "impersonate") { ApiGroup = group, Resource = resource, Subresource = sub, Namespace = ns, Name = name };
        if (await authorizer.AuthorizeAsync(attrs, ct).ConfigureAwait(false) == AuthorizationDecision.Allow) return;
        var res = sub is null ? resource : $"{resource}/{sub}";
        var where = ns is null ? "at the cluster scope" : $"in the namespace \"{ns}\"";
        throw Errors.Forbidden($"{resource} \"{name}\" is forbidden: User \"{requester.Name}\" cannot impersonate resource \"{res}\" in API group \"{group}\" {where}");
    }
}
