using Kube.Core.Admission;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Authentication;

/// <summary>
/// The walking-skeleton authenticator: every request is the cluster administrator. Replaced by x509 and
/// token authentication when TLS lands.
/// </summary>
internal sealed class InsecureAuthenticator : IAuthenticator
{
    public ValueTask<UserInfo?> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<UserInfo?>(UserInfo.Admin);
}
