namespace Kube.ApiServer.Authorization;

/// <summary>Allows members of <c>system:masters</c> everything, before any other authorizer (upstream's privileged group).</summary>
internal sealed class SuperuserAuthorizer : IAuthorizer
{
    public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken) =>
        ValueTask.FromResult(attributes.User.Groups.Contains(RbacAuthorizer.SuperuserGroup) ? AuthorizationDecision.Allow : AuthorizationDecision.NoOpinion);
}
