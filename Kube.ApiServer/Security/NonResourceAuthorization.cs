using Kube.ApiServer.Authorization;
using Kube.ApiServer.Registry;
using Kube.Core.Admission;

namespace Kube.ApiServer.Security;

/// <summary>Authorizes a non-resource request (discovery, OpenAPI) by path, as upstream: verb = the lower-cased HTTP method.</summary>
internal static class NonResourceAuthorization
{
    public static async ValueTask CheckAsync(string method, string path, UserInfo user, IAuthorizer authorizer, CancellationToken ct)
    {
        var verb = method.ToLowerInvariant();
        if (await authorizer.AuthorizeAsync(new AuthorizationAttributes(user, verb) { Path = path }, ct).ConfigureAwait(false) == AuthorizationDecision.Allow) return;
        throw Errors.Forbidden($"forbidden: User \"{user.Name}\" cannot {verb} path \"{path}\"");
    }
}
