using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Server;

/// <summary>
/// The HTTPS side of the <see cref="KubeletServer"/> (the managed HttpListener cannot serve TLS on Linux): accepts TLS on the
/// public port, authenticates the client certificate against the client CA (401 otherwise), authorizes its user and groups
/// (403 otherwise; per request through <see cref="KubeletServerTlsOptions.Authorizer"/> when set) and relays the connection
/// to the server's loopback HttpListener. The listener answers only connections
/// whose source port this front registered (<see cref="IsRelayed"/>), so the plain port is useless to anyone else.
/// </summary>
internal sealed class KubeletTlsFront : IAsyncDisposable
{
    private readonly KubeletServerTlsOptions _tls;
    private readonly IPAddress _address;
    private readonly int _backendPort;
    private readonly ILogger _logger;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<int, byte> _relayPorts = new();
    private Task? _loop;

    public KubeletTlsFront(KubeletServerTlsOptions tls, IPAddress address, int port, int backendPort, ILogger logger)
    {
        _tls = tls;
        _address = address;
        _backendPort = backendPort;
        _logger = logger;
        if (!tls.ServingCertificate.HasPrivateKey)
        {
            throw new ArgumentException("KubeletServerTlsOptions.ServingCertificate needs its private key");
        }

        _listener = new TcpListener(address, port);
    }

    public int Port { get; private set; }

    public void Start()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(() => AcceptLoopAsync(_stopping.Token), CancellationToken.None);
    }

    /// <summary>Whether a request to the backend listener came through this front.</summary>
    public bool IsRelayed(IPEndPoint? remote) => remote is not null && IPAddress.IsLoopback(remote.Address) && _relayPorts.ContainsKey(remote.Port);

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client, cancellationToken), CancellationToken.None);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var _ = client;
        X509Certificate2? clientCert = null;
        var chainValid = false;
        try
        {
            await using var ssl = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, cert, _, _) =>
            {
                if (cert is not null)
                {
                    clientCert = cert as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
                    chainValid = ChainsToClientCa(clientCert);
                }

                // The handshake completes either way so that an unauthenticated caller gets an HTTP 401, as upstream.
                return true;
            });
            using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            handshakeTimeout.CancelAfter(TimeSpan.FromSeconds(10));
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _tls.ServingCertificate,
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, handshakeTimeout.Token).ConfigureAwait(false);

            if (clientCert is null || !chainValid)
            {
                await RejectAsync(ssl, 401, "Unauthorized", cancellationToken).ConfigureAwait(false);
                return;
            }

            var user = clientCert.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            var groups = Organizations(clientCert);
            KubeletRequestHead? head = null;
            if (_tls.Authorizer is { } authorizer)
            {
                // each request is authorized (SubjectAccessReview); refused ones are answered by KubeletRequestAuthorization
                head = await KubeletRequestAuthorization.AuthorizeAsync(ssl, authorizer, user, groups, _logger, cancellationToken).ConfigureAwait(false);
                if (head is null) return;
            }
            else if (!_tls.AuthorizedUsers.Contains(user, StringComparer.Ordinal) && !groups.Any(g => _tls.AuthorizedGroups.Contains(g, StringComparer.Ordinal)))
            {
                _logger.LogInformation("Kubelet server: forbidden for user {User} (groups {Groups})", user, string.Join(",", groups));
                await RejectAsync(ssl, 403, $"Forbidden (user={user}, verb=*, resource=nodes, subresource=proxy)", cancellationToken).ConfigureAwait(false);
                return;
            }

            using var backend = new TcpClient(_address.AddressFamily);
            backend.Client.Bind(new IPEndPoint(_address, 0));
            var localPort = ((IPEndPoint)backend.Client.LocalEndPoint!).Port;
            _relayPorts[localPort] = 0;
            try
            {
                await backend.ConnectAsync(_address, _backendPort, cancellationToken).ConfigureAwait(false);
                var backendStream = backend.GetStream();
                using var relay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var up = head is null ? CopyThenShutdownAsync(ssl, backendStream, backend.Client, relay.Token)
                    : KubeletRequestAuthorization.RelayRequestAsync(ssl, backendStream, backend.Client, head, relay.Token);
                var down = backendStream.CopyToAsync(ssl, relay.Token);
                await Task.WhenAny(up, down).ConfigureAwait(false);
                await down.ConfigureAwait(false);
                await relay.CancelAsync().ConfigureAwait(false);
                await up.ConfigureAwait(false);
            }
            finally
            {
                _relayPorts.TryRemove(localPort, out byte _);
            }
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or SocketException or ObjectDisposedException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            _logger.LogDebug(ex, "Kubelet server TLS connection ended");
        }
    }

    private static async Task CopyThenShutdownAsync(Stream from, Stream to, Socket toSocket, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken).ConfigureAwait(false);
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private bool ChainsToClientCa(X509Certificate2 cert)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_tls.ClientCertificateAuthority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        try
        {
            return chain.Build(cert);
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, cert)) element.Certificate.Dispose();
            }
        }
    }

    private static List<string> Organizations(X509Certificate2 cert) =>
        cert.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(r => r.GetSingleElementType().Value == "2.5.4.10")
            .Select(r => r.GetSingleElementValue() ?? "")
            .Where(v => v.Length > 0).ToList();

    private static async Task RejectAsync(SslStream ssl, int status, string reason, CancellationToken cancellationToken)
    {
        // Read the request head first so that closing does not reset a connection the client is still writing to.
        var buffer = new byte[8192];
        var seen = new StringBuilder();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            while (seen.Length < 65536 && !seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await ssl.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                if (n == 0) break;
                seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        var body = reason + "\n";
        var text = status == 401 ? "Unauthorized" : "Forbidden";
        var response = $"HTTP/1.1 {status} {text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await ssl.WriteAsync(Encoding.UTF8.GetBytes(response), cancellationToken).ConfigureAwait(false);
        await ssl.FlushAsync(cancellationToken).ConfigureAwait(false);
        await ssl.ShutdownAsync().ConfigureAwait(false);
    }
}
