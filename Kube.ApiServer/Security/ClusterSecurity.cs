using Kube.ApiServer.Encryption;

namespace Kube.ApiServer.Security;

/// <summary>What a cluster host needs to serve securely from a data directory (as <c>kube-host up</c> does).</summary>
public static class ClusterSecurity
{
    /// <summary>
    /// Security options over the PKI in <c>&lt;dataDir&gt;/pki</c> (created on first start): HTTPS with the serving
    /// certificate, x509 client certificates against the cluster CA, ServiceAccount tokens signed with <c>sa.key</c>,
    /// and optionally a static token file and an encryption configuration file.
    /// </summary>
    public static (ApiServerSecurityOptions Options, ClusterPki Pki) ForDataDir(string dataDir, string? tokenAuthFile = null, string? encryptionProviderConfig = null,
        TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        var pki = ClusterPki.CreateOrLoad(Path.Combine(dataDir, "pki"), time);
        var options = new ApiServerSecurityOptions
        {
            ServingCertificate = pki.ServingCertificate(),
            ClientCertificateAuthority = pki.CertificateAuthority,
            TokenAuthFile = tokenAuthFile,
            ServiceAccountIssuer = new ServiceAccountTokenIssuer(pki.ServiceAccountKey(), time: time),
            EncryptionConfiguration = encryptionProviderConfig is null ? null : EncryptionConfiguration.Load(encryptionProviderConfig),
        };
        return (options, pki);
    }
}
