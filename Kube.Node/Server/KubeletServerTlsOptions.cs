using System.Security.Cryptography.X509Certificates;

namespace Kube.Node.Server;

/// <summary>
/// HTTPS for the <see cref="KubeletServer"/>, as upstream's kubelet with <c>--tls-cert-file</c>, <c>--client-ca-file</c>,
/// <c>--anonymous-auth=false</c>: the server serves HTTPS only, a request without a client certificate chaining to
/// <see cref="ClientCertificateAuthority"/> gets 401, and a caller who is neither in <see cref="AuthorizedGroups"/> nor one of
/// <see cref="AuthorizedUsers"/> gets 403 (the certificate's CN is the user, its O values the groups).
/// </summary>
public sealed record KubeletServerTlsOptions
{
    /// <summary>The serving certificate, with its private key.</summary>
    public required X509Certificate2 ServingCertificate { get; init; }

    /// <summary>The CA that client certificates must chain to (upstream's <c>--client-ca-file</c>).</summary>
    public required X509Certificate2 ClientCertificateAuthority { get; init; }

    /// <summary>Users allowed every kubelet API. Default: the API server's kubelet client, <c>kube-apiserver-kubelet-client</c>.</summary>
    public IReadOnlyList<string> AuthorizedUsers { get; init; } = ["kube-apiserver-kubelet-client"];

    /// <summary>Groups allowed every kubelet API. Default: <c>system:masters</c>.</summary>
    public IReadOnlyList<string> AuthorizedGroups { get; init; } = ["system:masters"];

    /// <summary>
    /// When set, every request is authorized by it instead of <see cref="AuthorizedUsers"/>/<see cref="AuthorizedGroups"/>
    /// (upstream's <c>--authorization-mode=Webhook</c>, e.g. <see cref="SubjectAccessReviewKubeletAuthorizer"/>). Default: none.
    /// </summary>
    public IKubeletAuthorizer? Authorizer { get; init; }
}
