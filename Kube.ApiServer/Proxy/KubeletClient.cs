using System.Net.Security;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Kube.ApiServer.Security;

namespace Kube.ApiServer.Proxy;

/// <summary>
/// How the API server reaches node agents' kubelet endpoints (logs, exec, stats): plain HTTP, or, when
/// <see cref="ApiServerSecurityOptions.KubeletClientCertificate"/> is set, HTTPS presenting that client certificate (upstream's
/// <c>--kubelet-client-certificate</c>/<c>--kubelet-client-key</c>) and verifying the kubelet's serving certificate against
/// <see cref="ApiServerSecurityOptions.KubeletCertificateAuthority"/> (upstream's <c>--kubelet-certificate-authority</c>).
/// </summary>
internal sealed class KubeletClient
{
    private static readonly ConditionalWeakTable<ApiServerSecurityOptions, KubeletClient> BySecurity = [];
    private static readonly KubeletClient Plain = new(null, null);

    private readonly X509Certificate2? _clientCertificate;
    private readonly X509Certificate2? _authority;

    private KubeletClient(X509Certificate2? clientCertificate, X509Certificate2? authority)
    {
        _clientCertificate = clientCertificate;
        _authority = authority;
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10), UseProxy = false };
        if (clientCertificate is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [clientCertificate],
                RemoteCertificateValidationCallback = (_, cert, _, errors) => Validate(cert, errors),
            };
        }

        Http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The client for these options (one per options instance).</summary>
    public static KubeletClient For(ApiServerSecurityOptions? security) =>
        security?.KubeletClientCertificate is null ? Plain
            : BySecurity.GetValue(security, s => new KubeletClient(s.KubeletClientCertificate, s.KubeletCertificateAuthority ?? s.ClientCertificateAuthority));

    /// <summary>Whether kubelets are reached over HTTPS.</summary>
    public bool Https => _clientCertificate is not null;

    public HttpClient Http { get; }

    /// <summary><paramref name="kubelet"/> with this client's scheme.</summary>
    public Uri Rebase(Uri kubelet) => new UriBuilder(kubelet) { Scheme = Https ? "https" : "http", Port = kubelet.Port }.Uri;

    /// <summary>Sets a WebSocket to the kubelet up with the client certificate and the serving-certificate check.</summary>
    public void Configure(ClientWebSocketOptions options)
    {
        if (_clientCertificate is null) return;
        options.ClientCertificates = [_clientCertificate];
        options.RemoteCertificateValidationCallback = (_, cert, _, errors) => Validate(cert, errors);
    }

    private bool Validate(X509Certificate? cert, SslPolicyErrors errors)
    {
        if (_authority is null) return errors == SslPolicyErrors.None;
        if (cert is null) return false;
        // Host names are checked by the TLS stack; only the chain is rebuilt against the cluster CA.
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
        using var leaf = X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
        return Security.ClusterPki.ChainsTo(leaf, _authority);
    }
}
