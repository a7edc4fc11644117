namespace Kube.ApiServer.Authorization;

/// <summary>Decides whether a request is allowed, as upstream's authorizer.Authorizer.</summary>
public interface IAuthorizer
{
    ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken);
}
