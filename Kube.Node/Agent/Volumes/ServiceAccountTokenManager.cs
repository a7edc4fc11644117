using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Agent.Volumes;

/// <summary>
/// The bound ServiceAccount tokens of the node's projected volumes, as upstream's kubelet token manager: one token per
/// pod, service account, audiences and expiration, requested through <see cref="IServiceAccountTokenRequester"/> bound to
/// the pod, and requested anew once 80% of its lifetime or 24 hours have passed, whichever comes first.
/// </summary>
internal sealed class ServiceAccountTokenManager(IServiceAccountTokenRequester requester, TimeProvider time, ILogger logger)
{
    /// <summary>expirationSeconds when the projection gives none (upstream's default).</summary>
    public const long DefaultExpirationSeconds = 3600;

    /// <summary>The shortest lifetime a token may be requested for (upstream's validation).</summary>
    public const long MinExpirationSeconds = 600;

    private static readonly TimeSpan MaxTokenAge = TimeSpan.FromHours(24);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _cache = new(StringComparer.Ordinal);

    /// <summary>The token for <paramref name="projection"/> of <paramref name="pod"/>; throws <see cref="VolumeSetupException"/> when none can be had.</summary>
    public async Task<string> GetTokenAsync(V1Pod pod, V1ServiceAccountTokenProjection projection, string volume, CancellationToken cancellationToken)
    {
        var ns = pod.Metadata.NamespaceProperty ?? "default";
        var account = string.IsNullOrEmpty(pod.Spec.ServiceAccountName) ? "default" : pod.Spec.ServiceAccountName;
        var seconds = Math.Max(projection.ExpirationSeconds ?? DefaultExpirationSeconds, MinExpirationSeconds);
        var audiences = string.IsNullOrEmpty(projection.Audience) ? new List<string>() : [projection.Audience];
        var key = string.Join('\u0000', pod.Metadata.Uid, ns, account, projection.Audience ?? "", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var now = time.GetUtcNow();
        Entry? cached;
        lock (_lock)
        {
            _cache.TryGetValue(key, out cached);
        }

        if (cached is not null && now < cached.RefreshAt)
        {
            return cached.Token;
        }

        Authenticationv1TokenRequest response;
        try
        {
            response = await requester.CreateTokenAsync(ns, account, new Authenticationv1TokenRequest
            {
                ApiVersion = "authentication.k8s.io/v1",
                Kind = "TokenRequest",
                Metadata = new V1ObjectMeta { Name = account, NamespaceProperty = ns },
                Spec = new V1TokenRequestSpec
                {
                    Audiences = audiences,
                    ExpirationSeconds = seconds,
                    BoundObjectRef = new V1BoundObjectReference { ApiVersion = "v1", Kind = "Pod", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
                },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (cached is not null && now < cached.ExpiresAt)
            {
                // As upstream: a failed refresh keeps the token that is still valid and is retried on the next sync.
                logger.LogWarning("Refreshing the token of service account {Namespace}/{Account} for pod {Pod} failed, keeping the current one: {Message}", ns, account, pod.Metadata.Name, ex.Message);
                return cached.Token;
            }

            throw new VolumeSetupException($"MountVolume.SetUp failed for volume \"{volume}\" : failed to fetch token: {ex.Message}");
        }

        var token = response.Status?.Token;
        if (string.IsNullOrEmpty(token))
        {
            throw new VolumeSetupException($"MountVolume.SetUp failed for volume \"{volume}\" : failed to fetch token: the TokenRequest response has no token");
        }

        var expires = response.Status!.ExpirationTimestamp is { } e
            ? new DateTimeOffset(DateTime.SpecifyKind(e, DateTimeKind.Utc))
            : now.AddSeconds(seconds);
        var ttl = expires - now;
        var refreshAfter = ttl * 0.8 < MaxTokenAge ? ttl * 0.8 : MaxTokenAge;
        lock (_lock)
        {
            _cache[key] = new Entry(token, now + refreshAfter, expires);
        }

        return token;
    }

    /// <summary>Forgets the tokens of a pod that is gone.</summary>
    public void Forget(string uid)
    {
        var prefix = uid + "\u0000";
        lock (_lock)
        {
            foreach (var key in _cache.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
            {
                _cache.Remove(key);
            }
        }
    }

    private sealed record Entry(string Token, DateTimeOffset RefreshAt, DateTimeOffset ExpiresAt);
}
