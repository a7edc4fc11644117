namespace Kube.ApiServer.Security;

/// <summary>Upstream's audit levels (audit.k8s.io/v1), least first.</summary>
public enum AuditLevel
{
    /// <summary>Not logged.</summary>
    None,

    /// <summary>Request metadata (user, verb, resource, response code), no bodies.</summary>
    Metadata,

    /// <summary>Metadata and the request body.</summary>
    Request,

    /// <summary>Metadata, the request body and the response body.</summary>
    RequestResponse,
}
