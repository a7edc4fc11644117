using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's ResourceQuota admission (validating, last in the chain): a create in a namespace with ResourceQuotas is
/// refused with 403 <c>exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2</c> when it would exceed a
/// hard limit, and with <c>failed quota: q: must specify ...</c> when a pod lacks the requests/limits a quota constrains.
/// Tracks pods, services, configmaps, secrets, persistentvolumeclaims, resourcequotas, <c>count/&lt;resource&gt;</c>,
/// and requests/limits of cpu and memory for pods. Usage is counted from the namespace's objects at admission time plus
/// the charges of creates this plugin admitted whose objects are not listed yet: admissions in one namespace are
/// serialized and each admitted create is charged until its object shows up in the count (or for
/// <see cref="PendingChargeLifetime"/>, if its write failed), so concurrent creates never exceed a quota of this API
/// server (upstream gets the same by charging status.used under the quota's resourceVersion). status.used is not written.
/// A quota with <c>scopes</c>/<c>scopeSelector</c> (Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass) applies
/// only to the pods it matches and counts only those (<see cref="ResourceQuotaScopes"/>).
/// </summary>
public sealed class ResourceQuotaAdmission(IKubeClient client, TimeProvider? time = null) : IAdmissionPlugin, IUsesAdmissionLister
{
    private AdmissionLister? _lister;

    void IUsesAdmissionLister.SetLister(AdmissionLister lister) => _lister = lister;

    /// <summary>How long an admitted create stays charged while its object is not listed yet (its write failed or is slow). 30 seconds.</summary>
    public static TimeSpan PendingChargeLifetime { get; } = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _namespaceLocks = new(StringComparer.Ordinal);
    // namespace/group/resource -> object name -> (charged amounts, expiry); guarded by the namespace's lock
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Dictionary<string, (Dictionary<string, decimal> Charge, ResourceQuotaScopes.PodFacts? Facts, DateTimeOffset Expires)>> _pending =
        new(StringComparer.Ordinal);

    private static readonly Dictionary<string, string> CountedResources = new(StringComparer.Ordinal)
    {
        ["pods"] = "pods", ["services"] = "services", ["configmaps"] = "configmaps", ["secrets"] = "secrets",
        ["persistentvolumeclaims"] = "persistentvolumeclaims", ["resourcequotas"] = "resourcequotas",
        ["replicationcontrollers"] = "replicationcontrollers",
    };

    public string Name => "ResourceQuota";

    public bool IsMutating => false;

    public bool Handles(AdmissionRequest request) =>
        request.Operation == AdmissionOperation.Create && request.Namespace is not null && request.Subresource is null && request.Object is not null;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ns = request.Namespace!;
        var quotas = await _lister.ListOrLiveAsync<V1ResourceQuota>(client, ns, cancellationToken).ConfigureAwait(false);
        if (quotas.Count == 0) return;
        var resource = request.Resource.Plural;
        var group = request.Resource.Group;
        var countKey = group.Length == 0 ? $"count/{resource}" : $"count/{resource}.{group}";
        var requested = new Dictionary<string, decimal> { [countKey] = 1 };
        if (group.Length == 0 && CountedResources.TryGetValue(resource, out var simple)) requested[simple] = 1;
        var isPod = group.Length == 0 && resource == "pods";
        if (isPod) foreach (var (k, v) in PodUsage(request.Object!)) requested[k] = v;
        var facts = isPod ? ResourceQuotaScopes.PodFacts.Of(request.Object!) : null;

        var relevant = quotas.Where(q => ResourceQuotaScopes.Matches(q, facts) && (q.Spec?.Hard is { Count: > 0 } hard && hard.Keys.Any(requested.ContainsKey)
            || isPod && q.Spec?.Hard?.Keys.Any(k => k is "requests.cpu" or "requests.memory" or "limits.cpu" or "limits.memory" or "cpu" or "memory") == true)).ToList();
        if (relevant.Count == 0) return;

        var name = request.Name ?? request.Object!["metadata"]?["name"]?.GetValue<string>() ?? "";
        if (isPod)
        {
            foreach (var q in relevant)
            {
                var missing = new List<string>();
                foreach (var k in q.Spec.Hard.Keys.Where(k => k is "requests.cpu" or "requests.memory" or "limits.cpu" or "limits.memory" or "cpu" or "memory").Order(StringComparer.Ordinal))
                {
                    var containers = MissingIn(request.Object!, k);
                    if (containers.Count > 0) missing.Add($"{k} for: {string.Join(",", containers)}");
                }
                if (missing.Count > 0) throw Forbidden(resource, name, $"failed quota: {q.Metadata.Name}: must specify {string.Join("; ", missing)}");
            }
        }

        var gate = _namespaceLocks.GetOrAdd(ns, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (usedAll, listed, pods) = await UsageAsync(ns, resource, group, cancellationToken).ConfigureAwait(false);
            var pending = _pending.GetOrAdd($"{ns}/{group}/{resource}",
                _ => new Dictionary<string, (Dictionary<string, decimal>, ResourceQuotaScopes.PodFacts?, DateTimeOffset)>(StringComparer.Ordinal));
            var now = _time.GetUtcNow();
            foreach (var (pendingName, (charge, pendingFacts, expires)) in pending.ToList())
            {
                if (listed.Contains(pendingName) || expires <= now)
                {
                    pending.Remove(pendingName);
                    continue;
                }
                foreach (var (k, v) in charge) usedAll[k] = Used(usedAll, k) + v;
                if (pendingFacts is not null) pods.Add((pendingFacts, charge));
            }
            foreach (var q in relevant.OrderBy(q => q.Metadata.Name, StringComparer.Ordinal))
            {
                // a scoped quota counts only the pods it matches
                var used = ResourceQuotaScopes.IsScoped(q) ? ScopedUsage(q, pods) : usedAll;
                var over = q.Spec.Hard.Where(h => requested.ContainsKey(Normalize(h.Key)) && Used(used, Normalize(h.Key)) + requested[Normalize(h.Key)] > h.Value.ToDecimal())
                    .Select(h => h.Key).Order(StringComparer.Ordinal).ToList();
                if (over.Count == 0) continue;
                string List(Func<string, string> f) => string.Join(",", over.Select(k => $"{k}={f(k)}"));
                throw Forbidden(resource, name,
                    $"exceeded quota: {q.Metadata.Name}, requested: {List(k => Format(k, requested[Normalize(k)]))}, used: {List(k => Format(k, Used(used, Normalize(k))))}, limited: {List(k => Format(k, q.Spec.Hard[k].ToDecimal()))}");
            }
            if (!request.DryRun && name.Length > 0) pending[name] = (requested, facts, now + PendingChargeLifetime);
        }
        finally
        {
            gate.Release();
        }
    }

    private static Dictionary<string, decimal> ScopedUsage(V1ResourceQuota quota, List<(ResourceQuotaScopes.PodFacts Facts, Dictionary<string, decimal> Usage)> pods)
    {
        var used = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (facts, usage) in pods.Where(p => ResourceQuotaScopes.Matches(quota, p.Facts)))
        {
            foreach (var (k, v) in usage) used[k] = Used(used, k) + v;
        }
        return used;
    }

    private static decimal Used(Dictionary<string, decimal> used, string key) => used.TryGetValue(key, out var v) ? v : 0;

    private static string Normalize(string key) => key switch { "cpu" => "requests.cpu", "memory" => "requests.memory", _ => key };

    /// <summary>The namespace's usage of <paramref name="resource"/>, the names of the objects counted, and each counted pod's facts and usage.</summary>
    private async Task<(Dictionary<string, decimal> Used, HashSet<string> Listed, List<(ResourceQuotaScopes.PodFacts, Dictionary<string, decimal>)> Pods)> UsageAsync(
        string ns, string resource, string group, CancellationToken ct)
    {
        var used = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var pods = new List<(ResourceQuotaScopes.PodFacts, Dictionary<string, decimal>)>();
        void Add(string k, decimal v) => used[k] = (used.TryGetValue(k, out var x) ? x : 0) + v;
        if (group.Length == 0 && resource == "pods")
        {
            foreach (var p in (await client.ListAsync<V1Pod>(ns, cancellationToken: ct).ConfigureAwait(false)).Items)
            {
                listed.Add(p.Metadata.Name);
                if (p.Status?.Phase is "Succeeded" or "Failed" || p.Metadata.DeletionTimestamp is not null) continue;
                var json = JsonNode.Parse(k8s.KubernetesJson.Serialize(p))!.AsObject();
                var usage = new Dictionary<string, decimal>(StringComparer.Ordinal) { ["pods"] = 1, ["count/pods"] = 1 };
                foreach (var (k, v) in PodUsage(json)) usage[k] = v;
                foreach (var (k, v) in usage) Add(k, v);
                pods.Add((ResourceQuotaScopes.PodFacts.Of(json), usage));
            }
            return (used, listed, pods);
        }
        async Task<int> CountAsync<T>() where T : class, k8s.IKubernetesObject<V1ObjectMeta>
        {
            var items = (await client.ListAsync<T>(ns, cancellationToken: ct).ConfigureAwait(false)).Items;
            foreach (var i in items) listed.Add(i.Metadata.Name);
            return items.Count;
        }
        var count = group.Length != 0 ? -1 : resource switch
        {
            "services" => await CountAsync<V1Service>().ConfigureAwait(false),
            "configmaps" => await CountAsync<V1ConfigMap>().ConfigureAwait(false),
            "secrets" => await CountAsync<V1Secret>().ConfigureAwait(false),
            "persistentvolumeclaims" => await CountAsync<V1PersistentVolumeClaim>().ConfigureAwait(false),
            "resourcequotas" => await CountAsync<V1ResourceQuota>().ConfigureAwait(false),
            "replicationcontrollers" => await CountAsync<V1ReplicationController>().ConfigureAwait(false),
            _ => -1,
        };
        if (count >= 0)
        {
            Add(resource, count);
            Add($"count/{resource}", count);
        }
        return (used, listed, pods);
    }

    /// <summary>A pod's requests and limits of cpu and memory (init containers count as their maximum, as upstream).</summary>
    internal static Dictionary<string, decimal> PodUsage(JsonObject pod)
    {
        var result = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var kind in new[] { "requests", "limits" })
        {
            foreach (var r in new[] { "cpu", "memory" })
            {
                decimal Sum(string key) => (pod["spec"]?[key] as JsonArray)?.OfType<JsonObject>()
                    .Select(c => c["resources"]?[kind]?[r]?.ToString() is { } q ? new ResourceQuantity(q).ToDecimal() : 0m).DefaultIfEmpty(0m)
                    .Aggregate(0m, key == "containers" ? (a, b) => a + b : Math.Max) ?? 0m;
                var total = Math.Max(Sum("containers"), Sum("initContainers"));
                if (total > 0) result[$"{kind}.{r}"] = total;
            }
        }
        return result;
    }

    private static List<string> MissingIn(JsonObject pod, string quotaKey)
    {
        var (kind, r) = quotaKey switch
        {
            "cpu" => ("requests", "cpu"),
            "memory" => ("requests", "memory"),
            _ => (quotaKey.Split('.')[0], quotaKey.Split('.')[1]),
        };
        return (pod["spec"]?["containers"] as JsonArray)?.OfType<JsonObject>()
            .Where(c => c["resources"]?[kind]?[r] is null).Select(c => c["name"]?.GetValue<string>() ?? "").ToList() ?? [];
    }

    private static string Format(string key, decimal value)
    {
        if (key.EndsWith("cpu", StringComparison.Ordinal))
            return value == decimal.Truncate(value) ? value.ToString("0", CultureInfo.InvariantCulture) : (value * 1000).ToString("0", CultureInfo.InvariantCulture) + "m";
        if (key.EndsWith("memory", StringComparison.Ordinal))
        {
            foreach (var (suffix, size) in new[] { ("Gi", 1024m * 1024 * 1024), ("Mi", 1024m * 1024), ("Ki", 1024m) })
                if (value >= size && value % size == 0) return (value / size).ToString("0", CultureInfo.InvariantCulture) + suffix;
        }
        return value.ToString("0.###", CultureInfo.InvariantCulture);
    }

    private static KubeApiException Forbidden(string resource, string name, string message) => new(new V1Status
    {
        ApiVersion = "v1", Kind = "Status", Status = "Failure", Code = 403, Reason = "Forbidden",
        Message = $"{resource} \"{name}\" is forbidden: {message}",
        Details = new V1StatusDetails { Name = name, Kind = resource },
    });
}
