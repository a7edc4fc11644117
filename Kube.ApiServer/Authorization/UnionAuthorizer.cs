namespace Kube.ApiServer.Authorization;

/// <summary>Asks each authorizer in order (upstream's <c>--authorization-mode=Node,RBAC</c>): the first Allow or Deny wins.</summary>
public sealed class UnionAuthorizer(IReadOnlyList<IAuthorizer> authorizers) : IAuthorizer
{
    public async ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        foreach (var a in authorizers)
        {
            var d = await a.AuthorizeAsync(attributes, cancellationToken).ConfigureAwait(false);
            if (d != AuthorizationDecision.NoOpinion) return d;
        }
        return AuthorizationDecision.NoOpinion;
    }
}
