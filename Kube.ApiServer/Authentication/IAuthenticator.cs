using Kube.Core.Admission;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Authentication;

/// <summary>
/// Turns an HTTP request into an identity. Return null to answer 401 Unauthorized. The in-process client
/// does not go through authentication: it carries the caller's <see cref="UserInfo"/>.
/// </summary>
public interface IAuthenticator
{
    ValueTask<UserInfo?> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken);
}
