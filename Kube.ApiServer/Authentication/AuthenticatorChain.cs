using Kube.Core.Admission;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Authentication;

/// <summary>
/// Asks each authenticator in turn; the first identity wins and gets <c>system:authenticated</c>. When all decline,
/// the request is <c>system:anonymous</c> in <c>system:unauthenticated</c> if anonymous requests are enabled, else
/// null (401). A request that presents a bearer token nobody accepts is refused even with anonymous on, as upstream.
/// </summary>
internal sealed class AuthenticatorChain(IReadOnlyList<IAuthenticator> authenticators, bool anonymous) : IAuthenticator
{
    public const string Authenticated = "system:authenticated";

    /// <summary>The bearer-token authenticators (for TokenReview), if any.</summary>
    public BearerTokenAuthenticator? Tokens { get; } = authenticators.OfType<BearerTokenAuthenticator>().FirstOrDefault();

    public async ValueTask<UserInfo?> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        foreach (var a in authenticators)
        {
            var user = await a.AuthenticateAsync(context, cancellationToken).ConfigureAwait(false);
            if (user is not null) return WithAuthenticated(user);
        }
        if (anonymous && BearerTokenAuthenticator.TokenOf(context) is null) return UserInfo.Anonymous;
        return null;
    }

    public static UserInfo WithAuthenticated(UserInfo user) =>
        user.Name == UserInfo.Anonymous.Name || user.Groups.Contains(Authenticated)
            ? user
            : user with { Groups = [.. user.Groups, Authenticated] };
}
