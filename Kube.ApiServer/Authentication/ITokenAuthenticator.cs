using Kube.Core.Admission;

namespace Kube.ApiServer.Authentication;

/// <summary>Turns a bearer token into an identity, or null when the token is not one it knows (as upstream's authenticator.Token).</summary>
public interface ITokenAuthenticator
{
    ValueTask<UserInfo?> AuthenticateTokenAsync(string token, CancellationToken cancellationToken);
}
