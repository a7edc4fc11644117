using k8s.Models;

namespace Kube.Node.Agent;

/// <summary>
/// Requests a bound ServiceAccount token (upstream's TokenRequest, <c>POST serviceaccounts/NAME/token</c>) for the node
/// agent's projected serviceAccountToken volume sources. Register one in the agent's services; the agent asks it with its
/// own identity, so the Node authorizer lets it request tokens only for service accounts of pods bound to the node.
/// </summary>
public interface IServiceAccountTokenRequester
{
    /// <summary>Creates a token for the service account <paramref name="name"/> in <paramref name="namespace"/>; returns the TokenRequest with its status (token, expirationTimestamp).</summary>
    Task<Authenticationv1TokenRequest> CreateTokenAsync(string @namespace, string name, Authenticationv1TokenRequest request, CancellationToken cancellationToken);
}
