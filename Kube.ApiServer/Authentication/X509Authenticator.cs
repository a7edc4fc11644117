using System.Security.Cryptography.X509Certificates;
using Kube.Core.Admission;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Authentication;

/// <summary>
/// Client certificates verified against the cluster CA: the subject's CN is the user and each O is a group
/// (upstream's x509 authenticator). A certificate that does not chain to the CA, is expired, or is not valid
/// for client authentication is declined.
/// The verdict is kept per certificate object (Kestrel holds one per TLS connection) for at most
/// <see cref="VerdictLifetime"/> and never past the certificate's notAfter, so a connection's requests do not each
/// build the chain again (that was half of a pod create's CPU over HTTPS).
/// </summary>
internal sealed class X509Authenticator(X509Certificate2 clientCa, TimeProvider time) : IAuthenticator
{
    private const string CommonNameOid = "2.5.4.3";
    private const string OrganizationOid = "2.5.4.10";

    /// <summary>How long a certificate's verdict is reused: 1 minute.</summary>
    internal static readonly TimeSpan VerdictLifetime = TimeSpan.FromMinutes(1);

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<X509Certificate2, Verdict> _verdicts = [];

    private sealed record Verdict(UserInfo? User, DateTimeOffset ValidUntil);

    public async ValueTask<UserInfo?> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var cert = context.Connection.ClientCertificate
            ?? (context.Request.IsHttps ? await context.Connection.GetClientCertificateAsync(cancellationToken).ConfigureAwait(false) : null);
        if (cert is null) return null;
        var now = time.GetUtcNow();
        if (_verdicts.TryGetValue(cert, out var verdict) && now < verdict.ValidUntil) return verdict.User;
        var user = Verify(cert) ? UserOf(cert) : null;
        var notAfter = new DateTimeOffset(cert.NotAfter.ToUniversalTime());
        _verdicts.AddOrUpdate(cert, new Verdict(user, notAfter < now + VerdictLifetime ? notAfter : now + VerdictLifetime));
        return user;
    }

    public bool Verify(X509Certificate2 cert)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(clientCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        if (!chain.Build(cert)) return false;
        var root = chain.ChainElements[^1].Certificate;
        return root.RawDataMemory.Span.SequenceEqual(clientCa.RawDataMemory.Span);
    }

    public static UserInfo? UserOf(X509Certificate2 cert)
    {
        string? cn = null;
        var groups = new List<string>();
        foreach (var rdn in cert.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements) continue;
            var oid = rdn.GetSingleElementType().Value;
            var value = rdn.GetSingleElementValue();
            if (value is null) continue;
            if (oid == CommonNameOid) cn = value;
            else if (oid == OrganizationOid) groups.Add(value);
        }
        return string.IsNullOrEmpty(cn) ? null : new UserInfo(cn, groups);
    }
}
