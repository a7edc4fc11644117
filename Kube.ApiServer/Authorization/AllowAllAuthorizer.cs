namespace Kube.ApiServer.Authorization;

/// <summary>Allows everything; the default until RBAC lands.</summary>
internal sealed class AllowAllAuthorizer : IAuthorizer
{
    public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AuthorizationDecision.Allow);
}
