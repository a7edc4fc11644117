using System.Security.Authentication;
using Kube.ApiServer.Authentication;
using Kube.ApiServer.Authorization;
using Kube.Core.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Kube.ApiServer.Security;

/// <summary>Builds the authenticator, authorizer and TLS listener of a server from <see cref="ApiServerSecurityOptions"/>.</summary>
internal sealed class SecuritySetup
{
    private readonly ApiServerSecurityOptions? _options;
    private readonly RbacAuthorizer? _rbac;
    private readonly NodeAuthorizer? _node;

    private SecuritySetup(ApiServerSecurityOptions? options, IAuthenticator authenticator, IAuthorizer authorizer, RbacAuthorizer? rbac, NodeAuthorizer? node)
    {
        _options = options;
        Authenticator = authenticator;
        Authorizer = authorizer;
        _rbac = rbac;
        _node = node;
    }

    public IAuthenticator Authenticator { get; }

    public IAuthorizer Authorizer { get; }

    /// <summary>
    /// <paramref name="options"/> null: the walking skeleton (everyone is admin, all allowed) unless DI supplies an
    /// authenticator or authorizer. Otherwise x509 → bearer tokens (file, then extra) → anonymous, and Node,RBAC.
    /// DI-registered ones win over both.
    /// </summary>
    public static SecuritySetup Create(ApiServerSecurityOptions? options, IAuthenticator? authenticator, IAuthorizer? authorizer, TimeProvider time)
    {
        if (options is null)
            return new SecuritySetup(null, authenticator ?? new InsecureAuthenticator(), authorizer ?? new AllowAllAuthorizer(), null, null);

        if (authenticator is null)
        {
            var chain = new List<IAuthenticator>();
            if (options.ClientCertificateAuthority is { } ca) chain.Add(new X509Authenticator(ca, time));
            var tokens = new List<ITokenAuthenticator>();
            if (!string.IsNullOrEmpty(options.TokenAuthFile)) tokens.Add(StaticTokenAuthenticator.FromFile(options.TokenAuthFile));
            if (options.ServiceAccountIssuer is { } sa) tokens.Add(new ServiceAccountTokenAuthenticator(sa, null, time));
            tokens.AddRange(options.TokenAuthenticators);
            if (tokens.Count > 0) chain.Add(new BearerTokenAuthenticator(tokens));
            authenticator = new AuthenticatorChain(chain, options.AnonymousAuth);
        }
        RbacAuthorizer? rbac = null;
        NodeAuthorizer? node = null;
        if (authorizer is null)
        {
            if (options.Rbac)
            {
                rbac = new RbacAuthorizer();
                node = new NodeAuthorizer();
                authorizer = new UnionAuthorizer([new SuperuserAuthorizer(), node, rbac]);
            }
            else
            {
                authorizer = new AllowAllAuthorizer();
            }
        }
        return new SecuritySetup(options, authenticator, authorizer, rbac, node);
    }

    /// <summary>Once the registry exists: connects the authorizers to it, reconciles the bootstrap policy and creates the system PriorityClasses.</summary>
    public async Task AttachAsync(IKubeClient admin, CancellationToken ct)
    {
        _rbac?.Attach(admin);
        _node?.Attach(admin);
        if (Authenticator is AuthenticatorChain { Tokens: { } tokens })
            foreach (var sa in tokens.Tokens.OfType<ServiceAccountTokenAuthenticator>()) sa.Attach(admin);
        if (_rbac is not null && _options is { ReconcileBootstrapPolicy: true }) await BootstrapPolicy.ReconcileAsync(admin, ct).ConfigureAwait(false);
        await Admission.PriorityAdmission.EnsureSystemPriorityClassesAsync(admin, ct).ConfigureAwait(false);
    }

    /// <summary>HTTPS when a serving certificate is set; client certificates are requested but optional (checked by the x509 authenticator).</summary>
    public void ConfigureListen(ListenOptions listen)
    {
        if (_options?.ServingCertificate is not { } cert) return;
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = cert,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            // the chain is verified against the cluster CA by X509Authenticator; an unverifiable certificate is simply not an identity
            ClientCertificateValidation = (_, _, _) => true,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CheckCertificateRevocation = false,
        });
    }
}
