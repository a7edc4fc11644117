using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Patch;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Selectors;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's MutatingAdmissionWebhook and ValidatingAdmissionWebhook: for each webhook of the
/// Mutating/ValidatingWebhookConfigurations whose rules (operations, apiGroups, apiVersions, resources incl.
/// <c>pods/status</c>, <c>*</c> and <c>*/*</c>, scope), namespaceSelector and objectSelector match, POSTs an
/// admission.k8s.io/v1 AdmissionReview over HTTPS (trusting <c>caBundle</c>, within <c>timeoutSeconds</c>, default 10)
/// to <c>clientConfig.url</c>, or to <c>clientConfig.service</c> resolved by <see cref="WebhookServiceResolver"/> to a ready
/// endpoint and verified as <c>&lt;service&gt;.&lt;namespace&gt;.svc</c>. A denial is upstream's
/// <c>admission webhook "name" denied the request: ...</c> (code from the response's status, at least 400); a mutating
/// webhook's JSONPatch is applied; warnings are passed on. A mutating webhook with <c>reinvocationPolicy: IfNeeded</c> is
/// called once more when a later webhook changed the object after it ran. A call that fails obeys failurePolicy (Fail, the
/// default: 500 <c>failed calling webhook</c>; Ignore: skipped). As upstream, nothing is exempt by identity: webhook
/// configurations themselves are never sent to webhooks, and the plugin reads through the server's loopback client
/// (<see cref="IWantsLoopbackClient"/>), so the server's own start-up writes do not wait on the server.
/// matchPolicy is not evaluated: every served version is matched exactly (<c>Exact</c>).
/// </summary>
public sealed class WebhookAdmission(IKubeClient client, bool mutating) : IAdmissionPlugin, IWantsLoopbackClient, IUsesAdmissionLister
{
    private AdmissionLister? _lister;

    void IUsesAdmissionLister.SetLister(AdmissionLister lister) => _lister = lister;

    private IKubeClient _client = client;

    /// <inheritdoc/>
    public void SetLoopbackClient(IKubeClient loopback) => _client = loopback ?? throw new ArgumentNullException(nameof(loopback));

    public string Name => mutating ? "MutatingAdmissionWebhook" : "ValidatingAdmissionWebhook";

    public bool IsMutating => mutating;

    /// <summary>Everything but webhook configurations (never sent to webhooks, as upstream) and CONNECT.</summary>
    public bool Handles(AdmissionRequest request) =>
        request.Resource.Group != "admissionregistration.k8s.io" && request.Operation != AdmissionOperation.Connect;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var hooks = mutating
            ? (await _lister.ListOrLiveAsync<V1MutatingWebhookConfiguration>(_client, null, cancellationToken).ConfigureAwait(false))
                .OrderBy(c => c.Metadata.Name, StringComparer.Ordinal)
                .SelectMany(c => (c.Webhooks ?? []).Select(w => new Hook(w.Name, w.Rules, w.NamespaceSelector, w.ObjectSelector, w.ClientConfig, w.FailurePolicy, w.TimeoutSeconds, w.ReinvocationPolicy)))
                .ToList()
            : (await _lister.ListOrLiveAsync<V1ValidatingWebhookConfiguration>(_client, null, cancellationToken).ConfigureAwait(false))
                .OrderBy(c => c.Metadata.Name, StringComparer.Ordinal)
                .SelectMany(c => (c.Webhooks ?? []).Select(w => new Hook(w.Name, w.Rules, w.NamespaceSelector, w.ObjectSelector, w.ClientConfig, w.FailurePolicy, w.TimeoutSeconds, null)))
                .ToList();
        if (hooks.Count == 0) return;
        IDictionary<string, string>? namespaceLabels = null;
        List<(Hook Hook, string? Seen)>? seenBy = null;
        foreach (var hook in hooks)
        {
            if (!RulesMatch(hook.Rules, request)) continue;
            if (!ObjectSelectorMatches(hook.ObjectSelector, request)) continue;
            if (hook.NamespaceSelector is { } nsSelector && request.Namespace is not null)
            {
                namespaceLabels ??= await NamespaceLabelsAsync(request.Namespace, cancellationToken).ConfigureAwait(false);
                if (!LabelSelector.FromLabelSelector(nsSelector).Matches(namespaceLabels)) continue;
            }
            await CallAsync(hook, request, cancellationToken).ConfigureAwait(false);
            if (mutating && hook.ReinvocationPolicy == "IfNeeded") (seenBy ??= []).Add((hook, request.Object?.ToJsonString()));
        }
        // reinvocation: an IfNeeded webhook runs once more if the object changed after it last saw it (upstream runs this second pass once)
        foreach (var (hook, seen) in seenBy ?? [])
        {
            if (request.Object?.ToJsonString() != seen) await CallAsync(hook, request, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed record Hook(string Name, IList<V1RuleWithOperations>? Rules, V1LabelSelector? NamespaceSelector, V1LabelSelector? ObjectSelector,
        Admissionregistrationv1WebhookClientConfig ClientConfig, string? FailurePolicy, int? TimeoutSeconds, string? ReinvocationPolicy);

    private async Task<IDictionary<string, string>> NamespaceLabelsAsync(string ns, CancellationToken ct)
    {
        return (await _lister.GetOrLiveAsync<V1Namespace>(_client, ns, null, ct).ConfigureAwait(false))?.Metadata.Labels ?? new Dictionary<string, string>();
    }

    private static bool ObjectSelectorMatches(V1LabelSelector? selector, AdmissionRequest request)
    {
        if (selector is null) return true;
        var s = LabelSelector.FromLabelSelector(selector);
        static IDictionary<string, string> Labels(JsonObject? o) =>
            (o?["metadata"]?["labels"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "") ?? new Dictionary<string, string>();
        return s.Matches(Labels(request.Object)) || (request.OldObject is not null && s.Matches(Labels(request.OldObject)));
    }

    private static bool RulesMatch(IList<V1RuleWithOperations>? rules, AdmissionRequest r)
    {
        var op = r.Operation.ToString().ToUpperInvariant();
        var resource = r.Subresource is null ? r.Resource.Plural : $"{r.Resource.Plural}/{r.Subresource}";
        foreach (var rule in rules ?? [])
        {
            if (!(rule.Operations ?? []).Any(o => o == "*" || o == op)) continue;
            if (!(rule.ApiGroups ?? []).Any(g => g == "*" || g == r.Resource.Group)) continue;
            if (!(rule.ApiVersions ?? []).Any(v => v == "*" || v == r.Resource.Version)) continue;
            var scope = rule.Scope ?? "*";
            if (scope == "Cluster" && r.Resource.Namespaced || scope == "Namespaced" && !r.Resource.Namespaced) continue;
            if ((rule.Resources ?? []).Any(x => x == resource || x == "*/*"
                    || (x == "*" && r.Subresource is null)
                    || (x.StartsWith("*/", StringComparison.Ordinal) && r.Subresource == x[2..])
                    || (x.EndsWith("/*", StringComparison.Ordinal) && r.Subresource is not null && r.Resource.Plural == x[..^2])))
                return true;
        }
        return false;
    }

    private async Task CallAsync(Hook hook, AdmissionRequest request, CancellationToken ct)
    {
        var uid = Guid.NewGuid().ToString();
        var review = Review(uid, request);
        JsonObject? response;
        Uri? target = null;
        try
        {
            var seconds = hook.TimeoutSeconds is > 0 and <= 30 ? hook.TimeoutSeconds.Value : 10;
            var endpoint = new WebhookEndpoint(hook.ClientConfig.Url, hook.ClientConfig.Service, hook.ClientConfig.CaBundle);
            target = WebhookClient.Target(endpoint, seconds);
            response = (await WebhookClient.PostAsync(_client, endpoint, target, review, seconds, ct).ConfigureAwait(false))["response"] as JsonObject
                ?? throw new HttpRequestException("the AdmissionReview has no response");
            if (response["uid"]?.GetValue<string>() != uid) throw new HttpRequestException($"expected response.uid=\"{uid}\"");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidOperationException
            or System.Security.Cryptography.CryptographicException && !ct.IsCancellationRequested)
        {
            if (hook.FailurePolicy == "Ignore") return;
            var what = e is OperationCanceledException ? "context deadline exceeded" : e.Message;
            throw KubeApiException.FromStatus(KubeApiException.NewStatus(500, "InternalError",
                $"Internal error occurred: failed calling webhook \"{hook.Name}\": failed to call webhook: Post \"{target?.OriginalString ?? hook.ClientConfig.Url}\": {what}"));
        }

        foreach (var w in (response["warnings"] as JsonArray)?.Select(x => x?.ToString()).OfType<string>() ?? []) request.Warnings.Add(w);
        if (response["allowed"]?.GetValue<bool>() != true)
        {
            var status = response["status"] as JsonObject;
            var code = status?["code"]?.GetValue<int>() is >= 400 and var c ? c : 400;
            var deniedBy = $"admission webhook \"{hook.Name}\" denied the request";
            var message = status?["message"]?.GetValue<string>() is { Length: > 0 } m ? $"{deniedBy}: {m}"
                : status?["reason"]?.GetValue<string>() is { Length: > 0 } reason ? $"{deniedBy}: {reason}" : $"{deniedBy} without explanation";
            throw KubeApiException.FromStatus(KubeApiException.NewStatus(code, status?["reason"]?.GetValue<string>() ?? "", message));
        }
        if (mutating && response["patch"]?.GetValue<string>() is { Length: > 0 } patch && request.Object is not null)
        {
            if (response["patchType"]?.GetValue<string>() != "JSONPatch")
                throw KubeApiException.FromStatus(KubeApiException.NewStatus(500, "InternalError",
                    $"Internal error occurred: failed calling webhook \"{hook.Name}\": unsupported patch type \"{response["patchType"]}\""));
            var ops = JsonNode.Parse(Convert.FromBase64String(patch)) as JsonArray
                ?? throw KubeApiException.FromStatus(KubeApiException.NewStatus(500, "InternalError", $"Internal error occurred: webhook \"{hook.Name}\" returned a patch that is not a JSON array"));
            if (JsonPatch.Apply(request.Object.DeepClone(), ops) is JsonObject patched)
            {
                foreach (var key in request.Object.Select(kv => kv.Key).ToList()) request.Object.Remove(key);
                foreach (var (k, v) in patched.ToList())
                {
                    patched.Remove(k);
                    request.Object[k] = v;
                }
            }
        }
    }

    private static JsonObject Review(string uid, AdmissionRequest r)
    {
        var gvr = new JsonObject { ["group"] = r.Resource.Group, ["version"] = r.Resource.Version, ["resource"] = r.Resource.Plural };
        var gvk = new JsonObject { ["group"] = r.Resource.Group, ["version"] = r.Resource.Version, ["kind"] = r.Resource.Kind };
        var req = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = gvk,
            ["resource"] = gvr,
            ["requestKind"] = gvk.DeepClone(),
            ["requestResource"] = gvr.DeepClone(),
            ["operation"] = r.Operation.ToString().ToUpperInvariant(),
            ["userInfo"] = new JsonObject
            {
                ["username"] = r.User.Name,
                ["groups"] = new JsonArray(r.User.Groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
            },
            ["dryRun"] = r.DryRun,
        };
        if (r.Subresource is not null) req["subResource"] = r.Subresource;
        if (r.Name is not null) req["name"] = r.Name;
        if (r.Namespace is not null) req["namespace"] = r.Namespace;
        if (r.User.Uid is not null) req["userInfo"]!["uid"] = r.User.Uid;
        req["object"] = r.Object?.DeepClone();
        req["oldObject"] = r.OldObject?.DeepClone();
        return new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["request"] = req };
    }
}
