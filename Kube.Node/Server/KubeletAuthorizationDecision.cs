namespace Kube.Node.Server;

/// <summary>The answer of an <see cref="IKubeletAuthorizer"/>.</summary>
public enum KubeletAuthorizationDecision
{
    /// <summary>The request is allowed.</summary>
    Allow,

    /// <summary>The request is refused: 403 <c>Forbidden (user=..., verb=..., resource=nodes, subresource=...)</c>.</summary>
    Deny,

    /// <summary>No decision could be had (the API server did not answer): 500 <c>Authorization error (user=..., ...)</c>, as upstream's kubelet.</summary>
    Error,
}
