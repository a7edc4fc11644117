namespace Kube.Node.Server;

/// <summary>
/// Authorizes each request to the kubelet API (upstream's kubelet <c>--authorization-mode</c>); set it as
/// <see cref="KubeletServerTlsOptions.Authorizer"/>. <see cref="SubjectAccessReviewKubeletAuthorizer"/> asks the API server,
/// as upstream's <c>Webhook</c> mode does.
/// </summary>
public interface IKubeletAuthorizer
{
    /// <summary>The node whose kubelet API this guards: the <c>name</c> of the attributes.</summary>
    string NodeName { get; }

    ValueTask<KubeletAuthorizationDecision> AuthorizeAsync(KubeletRequestAttributes attributes, CancellationToken cancellationToken);
}
