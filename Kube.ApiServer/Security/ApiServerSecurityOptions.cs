using System.Security.Cryptography.X509Certificates;
using Kube.ApiServer.Authentication;

namespace Kube.ApiServer.Security;

/// <summary>
/// Authentication, authorization and TLS of <see cref="KubeApiServer"/> (<see cref="ApiServerOptions.Security"/>).
/// When <see cref="ApiServerOptions.Security"/> is null the server is the walking skeleton: plain HTTP, every request
/// is the administrator. With it: requests are authenticated (client certificates, bearer tokens), anonymous requests
/// get 401 outside the health and version endpoints, and Node + RBAC authorization applies with the bootstrap policy.
/// </summary>
public sealed class ApiServerSecurityOptions
{
    /// <summary>The serving certificate (with its private key). Null: plain HTTP. Default null.</summary>
    public X509Certificate2? ServingCertificate { get; set; }

    /// <summary>The CA client certificates must chain to (upstream's <c>--client-ca-file</c>). Null: x509 authentication off. Default null.</summary>
    public X509Certificate2? ClientCertificateAuthority { get; set; }

    /// <summary>
    /// The client certificate (with its private key) presented to node agents' kubelet endpoints (upstream's
    /// <c>--kubelet-client-certificate</c>/<c>--kubelet-client-key</c>). Set: kubelets are reached over HTTPS. Null (default): plain HTTP.
    /// </summary>
    public X509Certificate2? KubeletClientCertificate { get; set; }

    /// <summary>The CA kubelets' serving certificates must chain to (upstream's <c>--kubelet-certificate-authority</c>). Null: <see cref="ClientCertificateAuthority"/>.</summary>
    public X509Certificate2? KubeletCertificateAuthority { get; set; }

    /// <summary>Upstream's <c>--token-auth-file</c>: a CSV file <c>token,user,uid,"group1,group2"</c>. Default null (none).</summary>
    public string? TokenAuthFile { get; set; }

    /// <summary>More bearer-token authenticators (e.g. ServiceAccount tokens), asked after the token file. Default empty.</summary>
    public IList<ITokenAuthenticator> TokenAuthenticators { get; } = [];

    /// <summary>
    /// Signs and verifies ServiceAccount tokens (TokenRequest, <c>kubectl create token</c>). Null: no ServiceAccount
    /// tokens. Default null.
    /// </summary>
    public ServiceAccountTokenIssuer? ServiceAccountIssuer { get; set; }

    /// <summary>
    /// Encryption at rest (upstream's <c>--encryption-provider-config</c>, see <see cref="Encryption.EncryptionConfiguration.Load"/>).
    /// Null: values are stored as they are. Default null.
    /// </summary>
    public Encryption.EncryptionConfiguration? EncryptionConfiguration { get; set; }

    /// <summary>
    /// Upstream's <c>--audit-policy-file</c>, parsed (<see cref="Security.AuditPolicy.Load"/>). With <see cref="AuditLogPath"/>,
    /// requests are audited as the policy says. Default null (no audit log).
    /// </summary>
    public AuditPolicy? AuditPolicy { get; set; }

    /// <summary>Upstream's <c>--audit-log-path</c>: the JSON-lines audit log ("-": standard output). Default null (no audit log).</summary>
    public string? AuditLogPath { get; set; }

    /// <summary>Upstream's <c>--audit-log-maxsize</c>: megabytes before the audit log rotates. Default 0, which rotates at 100, as upstream.</summary>
    public int AuditLogMaxSize { get; set; }

    /// <summary>Upstream's <c>--audit-log-maxbackup</c>: rotated files kept. Default 0: all.</summary>
    public int AuditLogMaxBackup { get; set; }

    /// <summary>Upstream's <c>--audit-log-maxage</c>: days a rotated file is kept. Default 0: no limit.</summary>
    public int AuditLogMaxAge { get; set; }

    /// <summary>Whether unauthenticated requests are served as system:anonymous (upstream's <c>--anonymous-auth</c>). Default false.</summary>
    public bool AnonymousAuth { get; set; }

    /// <summary>Whether Node and RBAC authorization apply (false: everything authenticated is allowed). Default true.</summary>
    public bool Rbac { get; set; } = true;

    /// <summary>Whether the bootstrap ClusterRoles and bindings are reconciled at start. Default true.</summary>
    public bool ReconcileBootstrapPolicy { get; set; } = true;
}
