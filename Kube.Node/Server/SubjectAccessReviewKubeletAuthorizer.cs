using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Kube.Node.Agent;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Server;

/// <summary>
/// Upstream's kubelet <c>--authorization-mode=Webhook</c>: each request's <see cref="KubeletRequestAttributes"/> become an
/// authorization.k8s.io/v1 SubjectAccessReview (the caller's user and groups; verb, resource <c>nodes</c>, the subresource
/// and the node's name) POSTed to the API server through <paramref name="apiServer"/> (its BaseAddress the server, its
/// handler carrying the node's own credentials - the bootstrap <c>system:node</c> rules allow creating SubjectAccessReviews).
/// Answers are cached as upstream's kubelet caches them: allowed for <see cref="AllowedTtl"/> (5 minutes), denied for
/// <see cref="DeniedTtl"/> (30 seconds), at most <see cref="MaxCachedDecisions"/> (the cache is emptied beyond). A failed
/// review is <see cref="KubeletAuthorizationDecision.Error"/> and is not cached; the review call times out after 10 seconds.
/// </summary>
public sealed class SubjectAccessReviewKubeletAuthorizer(string nodeName, HttpClient apiServer, TimeProvider? time = null, ILogger? logger = null)
    : IKubeletAuthorizer
{
    /// <summary>How long an allowed answer is reused: 5 minutes (upstream's cacheAuthorizedTTL).</summary>
    public static TimeSpan AllowedTtl { get; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a denied answer is reused: 30 seconds (upstream's cacheUnauthorizedTTL).</summary>
    public static TimeSpan DeniedTtl { get; } = TimeSpan.FromSeconds(30);

    /// <summary>The cache bound: 4096 answers.</summary>
    public const int MaxCachedDecisions = 4096;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly ConcurrentDictionary<string, (bool Allowed, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    public string NodeName { get; } = nodeName ?? throw new ArgumentNullException(nameof(nodeName));

    public async ValueTask<KubeletAuthorizationDecision> AuthorizeAsync(KubeletRequestAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var key = string.Join('\n', [attributes.User, attributes.Verb, attributes.Subresource, attributes.NodeName, .. attributes.Groups]);
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > now)
            return cached.Allowed ? KubeletAuthorizationDecision.Allow : KubeletAuthorizationDecision.Deny;

        var review = new V1SubjectAccessReview
        {
            ApiVersion = "authorization.k8s.io/v1",
            Kind = "SubjectAccessReview",
            Metadata = new V1ObjectMeta(),
            Spec = new V1SubjectAccessReviewSpec
            {
                User = attributes.User,
                Groups = [.. attributes.Groups],
                ResourceAttributes = new V1ResourceAttributes
                {
                    Verb = attributes.Verb, Group = "", Version = "v1", Resource = "nodes", Subresource = attributes.Subresource, Name = attributes.NodeName,
                },
            },
        };
        bool allowed;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var content = new StringContent(NodeJson.Serialize(review), Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await apiServer.PostAsync("apis/authorization.k8s.io/v1/subjectaccessreviews", content, timeout.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                _logger.LogWarning("Kubelet authorization: SubjectAccessReview for {User} failed with {Status}: {Body}", attributes.User, (int)response.StatusCode, text);
                return KubeletAuthorizationDecision.Error;
            }
            allowed = NodeJson.Deserialize<V1SubjectAccessReview>(text).Status?.Allowed == true;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning(e, "Kubelet authorization: SubjectAccessReview for {User} failed", attributes.User);
            return KubeletAuthorizationDecision.Error;
        }
        if (_cache.Count >= MaxCachedDecisions) _cache.Clear();
        _cache[key] = (allowed, now + (allowed ? AllowedTtl : DeniedTtl));
        return allowed ? KubeletAuthorizationDecision.Allow : KubeletAuthorizationDecision.Deny;
    }
}
