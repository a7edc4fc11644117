using Kube.Core.Admission;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Authentication;

/// <summary>Reads <c>Authorization: Bearer TOKEN</c> and asks each <see cref="ITokenAuthenticator"/> in turn.</summary>
internal sealed class BearerTokenAuthenticator(IReadOnlyList<ITokenAuthenticator> tokens) : IAuthenticator
{
    public IReadOnlyList<ITokenAuthenticator> Tokens => tokens;

    public static string? TokenOf(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.FirstOrDefault();
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var token = header["Bearer ".Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    public async ValueTask<UserInfo?> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var token = TokenOf(context);
        return token is null ? null : await AuthenticateTokenAsync(token, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<UserInfo?> AuthenticateTokenAsync(string token, CancellationToken cancellationToken)
    {
        foreach (var t in tokens)
        {
            var user = await t.AuthenticateTokenAsync(token, cancellationToken).ConfigureAwait(false);
            if (user is not null) return user;
        }
        return null;
    }
}
