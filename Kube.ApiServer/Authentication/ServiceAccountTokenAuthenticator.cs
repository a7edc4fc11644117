using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Security;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.ApiServer.Authentication;

/// <summary>
/// ServiceAccount JWTs from <see cref="ServiceAccountTokenIssuer"/>: signature, issuer, audience (one of the API
/// audiences), nbf/exp; then, once attached to the server, the ServiceAccount (and a bound pod) must still exist with
/// the same uid. The user is <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c> in <c>system:serviceaccounts</c> and
/// <c>system:serviceaccounts:&lt;ns&gt;</c>.
/// </summary>
public sealed class ServiceAccountTokenAuthenticator(ServiceAccountTokenIssuer issuer, IReadOnlyList<string>? apiAudiences = null, TimeProvider? time = null)
    : ITokenAuthenticator
{
    private readonly IReadOnlyList<string> _audiences = apiAudiences ?? [issuer.Issuer];
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private IKubeClient? _client;

    public ServiceAccountTokenIssuer Issuer => issuer;

    /// <summary>The audiences a token must name to authenticate to the API server.</summary>
    public IReadOnlyList<string> ApiAudiences => _audiences;

    /// <summary>Connects to the server, so tokens of deleted service accounts (or pods) stop working.</summary>
    public void Attach(IKubeClient client) => _client = client;

    internal IKubeClient? Client => _client;

    public async ValueTask<UserInfo?> AuthenticateTokenAsync(string token, CancellationToken cancellationToken)
    {
        var claims = Verify(token);
        if (claims is null) return null;
        var k8s = claims["kubernetes.io"] as JsonObject;
        var ns = k8s?["namespace"]?.GetValue<string>();
        var name = k8s?["serviceaccount"]?["name"]?.GetValue<string>();
        var uid = k8s?["serviceaccount"]?["uid"]?.GetValue<string>();
        if (string.IsNullOrEmpty(ns) || string.IsNullOrEmpty(name)) return null;
        var extra = new Dictionary<string, IReadOnlyList<string>>();
        if (_client is not null)
        {
            try
            {
                var sa = await _client.GetAsync<V1ServiceAccount>(name, ns, cancellationToken).ConfigureAwait(false);
                if (uid is not null && sa.Metadata.Uid != uid) return null;
                if (k8s?["pod"] is JsonObject pod && pod["name"]?.GetValue<string>() is { } podName)
                {
                    var p = await _client.GetAsync<V1Pod>(podName, ns, cancellationToken).ConfigureAwait(false);
                    if (pod["uid"]?.GetValue<string>() is { } podUid && p.Metadata.Uid != podUid) return null;
                    extra["authentication.kubernetes.io/pod-name"] = [podName];
                }
            }
            catch (KubeApiException)
            {
                return null;
            }
        }
        return new UserInfo($"system:serviceaccount:{ns}:{name}", ["system:serviceaccounts", "system:serviceaccounts:" + ns]) { Uid = uid, Extra = extra };
    }

    /// <summary>The claims of a token signed by the issuer's key, unexpired, for one of <see cref="ApiAudiences"/>; else null.</summary>
    internal JsonObject? Verify(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        var header = ServiceAccountTokenIssuer.FromBase64Url(parts[0]);
        var payload = ServiceAccountTokenIssuer.FromBase64Url(parts[1]);
        var sig = ServiceAccountTokenIssuer.FromBase64Url(parts[2]);
        if (header is null || payload is null || sig is null) return null;
        try
        {
            if (JsonNode.Parse(header)?["alg"]?.GetValue<string>() != "ES256") return null;
            if (!issuer.Key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), sig, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                return null;
            if (JsonNode.Parse(payload) is not JsonObject claims) return null;
            if (claims["iss"]?.GetValue<string>() != issuer.Issuer) return null;
            var now = _time.GetUtcNow().ToUnixTimeSeconds();
            if (claims["exp"]?.GetValue<long>() is not { } exp || now >= exp) return null;
            if (claims["nbf"]?.GetValue<long>() is { } nbf && now + 60 < nbf) return null;
            var aud = claims["aud"] switch
            {
                JsonArray a => a.Select(x => x?.GetValue<string>()).ToList(),
                JsonValue v => [v.GetValue<string>()],
                _ => [],
            };
            return aud.Any(x => x is not null && _audiences.Contains(x)) ? claims : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
