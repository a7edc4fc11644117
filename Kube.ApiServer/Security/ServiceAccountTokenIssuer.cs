using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kube.ApiServer.Security;

/// <summary>
/// Signs ServiceAccount tokens: ES256 JWTs with upstream's claims (iss, sub <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>,
/// aud, iat, nbf, exp, and <c>kubernetes.io</c> with the namespace, the service account and the bound object).
/// </summary>
public sealed class ServiceAccountTokenIssuer
{
    /// <summary>Upstream's default issuer and API audience.</summary>
    public const string DefaultIssuer = "https://kubernetes.default.svc.cluster.local";

    private readonly ECDsa _key;
    private readonly TimeProvider _time;
    private readonly string _keyId;

    /// <param name="key">The P-256 signing key (the authenticator verifies with its public half).</param>
    /// <param name="issuer">The iss claim. Default <see cref="DefaultIssuer"/>.</param>
    public ServiceAccountTokenIssuer(ECDsa key, string issuer = DefaultIssuer, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
        Issuer = issuer;
        _time = time ?? TimeProvider.System;
        _keyId = Base64Url(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    public string Issuer { get; }

    internal ECDsa Key => _key;

    /// <summary>A token for ServiceAccount <paramref name="ns"/>/<paramref name="name"/>, valid for <paramref name="lifetime"/>.</summary>
    public (string Token, DateTimeOffset Expires) Issue(string ns, string name, string? uid, IReadOnlyList<string> audiences, TimeSpan lifetime,
        (string Kind, string Name, string? Uid)? boundObject = null)
    {
        var now = _time.GetUtcNow();
        var exp = now + lifetime;
        var sa = new JsonObject { ["name"] = name };
        if (uid is not null) sa["uid"] = uid;
        var k8s = new JsonObject { ["namespace"] = ns, ["serviceaccount"] = sa };
        if (boundObject is { } b)
        {
            var o = new JsonObject { ["name"] = b.Name };
            if (b.Uid is not null) o["uid"] = b.Uid;
            k8s[b.Kind.ToLowerInvariant()] = o;
        }
        var payload = new JsonObject
        {
            ["aud"] = new JsonArray([.. audiences.Select(a => (JsonNode?)JsonValue.Create(a))]),
            ["exp"] = exp.ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["iss"] = Issuer,
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = k8s,
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["sub"] = $"system:serviceaccount:{ns}:{name}",
        };
        var header = new JsonObject { ["alg"] = "ES256", ["kid"] = _keyId };
        var signingInput = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return (signingInput + "." + Base64Url(signature), exp);
    }

    internal static string Base64Url(ReadOnlySpan<byte> data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static byte[]? FromBase64Url(string s)
    {
        var t = s.Replace('-', '+').Replace('_', '/');
        t += (t.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => "!" };
        try
        {
            return Convert.FromBase64String(t);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
