using System.Reflection;
using k8s;
using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.Resources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kube.Controllers.BuiltIn.ResourceQuota;

/// <summary>
/// Upstream's resourcequota controller: keeps <c>status.hard</c> equal to <c>spec.hard</c> and <c>status.used</c> equal
/// to the namespace's usage of each hard resource (pods, compute requests/limits, services, node ports, load balancers,
/// claims and storage, object counts and <c>count/&lt;resource&gt;.&lt;group&gt;</c>), recomputed when pods change and
/// every <see cref="ControllerManagerOptions.ResourceQuotaSyncPeriod"/> (5 minutes).
/// </summary>
public sealed partial class ResourceQuotaReconciler : IReconciler<V1ResourceQuota>
{
    private static readonly MethodInfo ListMethod = typeof(ResourceQuotaReconciler).GetMethod(nameof(CountOfAsync), BindingFlags.NonPublic | BindingFlags.Instance)!;

    private static readonly Dictionary<string, string> ObjectCounts = new(StringComparer.Ordinal)
    {
        ["configmaps"] = "configmaps",
        ["secrets"] = "secrets",
        ["replicationcontrollers"] = "replicationcontrollers",
        ["resourcequotas"] = "resourcequotas",
    };

    private readonly IKubeClient _client;
    private readonly IInformer<V1ResourceQuota> _quotas;
    private readonly IInformer<V1Pod> _pods;
    private readonly ResourceTypeRegistry _types;
    private readonly ControllerManagerOptions _options;
    private readonly ILogger<ResourceQuotaReconciler> _logger;

    public ResourceQuotaReconciler(IKubeClient client, ISharedInformerFactory informers, ResourceTypeRegistry types, IOptions<ControllerManagerOptions> options,
        ILogger<ResourceQuotaReconciler> logger)
    {
        ArgumentNullException.ThrowIfNull(informers);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _quotas = informers.GetInformer<V1ResourceQuota>();
        _pods = informers.GetInformer<V1Pod>();
        _types = types;
        _options = options.Value;
        _logger = logger;
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var quota = _quotas.Cache.Get(request.Namespace, request.Name);
        if (quota is null || quota.Metadata.DeletionTimestamp is not null) return ReconcileResult.Done;
        var ns = quota.Metadata.NamespaceProperty ?? "";
        var hard = quota.Spec?.Hard ?? new Dictionary<string, ResourceQuantity>();
        var totals = new Dictionary<string, decimal>(StringComparer.Ordinal);
        void Add(Dictionary<string, decimal> usage)
        {
            foreach (var (k, v) in usage) totals[k] = (totals.TryGetValue(k, out var t) ? t : 0) + v;
        }

        // a scoped quota counts only the pods its scopes match, and nothing else
        var scoped = QuotaScopes.IsScoped(quota);
        foreach (var pod in _pods.Cache.ByIndex(Indexers.Namespace, ns).Where(QuotaUsage.Counts).Where(p => !scoped || QuotaScopes.Matches(quota, p))) Add(QuotaUsage.Pod(pod));
        var keys = hard.Keys.ToList();
        if (!scoped && keys.Any(k => k.StartsWith("services", StringComparison.Ordinal) || k == "count/services"))
            foreach (var svc in (await _client.ListAsync<V1Service>(ns, cancellationToken: cancellationToken).ConfigureAwait(false)).Items) Add(QuotaUsage.Service(svc));
        if (!scoped && keys.Any(k => k.Contains("persistentvolumeclaims", StringComparison.Ordinal) || k.EndsWith("requests.storage", StringComparison.Ordinal)))
            foreach (var pvc in (await _client.ListAsync<V1PersistentVolumeClaim>(ns, cancellationToken: cancellationToken).ConfigureAwait(false)).Items) Add(QuotaUsage.Claim(pvc));

        var used = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            decimal value;
            if (totals.TryGetValue(key, out var t)) value = t;
            else if (scoped) value = 0;
            else if (ObjectCounts.TryGetValue(key, out var plural)) value = await CountAsync("", plural, ns, cancellationToken).ConfigureAwait(false);
            else if (key.StartsWith("count/", StringComparison.Ordinal)) value = await CountAsync(key["count/".Length..], ns, cancellationToken).ConfigureAwait(false);
            else value = 0;
            used[key] = Quantity(value, hard[key]);
        }

        var status = new V1ResourceQuotaStatus { Hard = new Dictionary<string, ResourceQuantity>(hard), Used = used };
        if (quota.Status is null || !Same(quota.Status.Hard, status.Hard) || !Same(quota.Status.Used, status.Used))
        {
            var copy = ObjectCopy.Clone(quota);
            copy.Status = status;
            try
            {
                await _client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (NotFoundException)
            {
                return ReconcileResult.Done;
            }
        }

        return ReconcileResult.RequeueAfter(_options.ResourceQuotaSyncPeriod);
    }

    /// <summary>Counts objects of "resource" or "resource.group" in the namespace (0 for unknown kinds).</summary>
    private Task<decimal> CountAsync(string groupResource, string ns, CancellationToken cancellationToken)
    {
        var dot = groupResource.IndexOf('.');
        return dot < 0 ? CountAsync("", groupResource, ns, cancellationToken) : CountAsync(groupResource[(dot + 1)..], groupResource[..dot], ns, cancellationToken);
    }

    private async Task<decimal> CountAsync(string group, string plural, string ns, CancellationToken cancellationToken)
    {
        var type = _types.All.Where(t => t.Group == group && t.Plural == plural && t.ClrType is not null).OrderByDescending(t => t.Version == "v1").FirstOrDefault();
        if (type?.ClrType is null) return 0;
        var list = ListMethod.MakeGenericMethod(type.ClrType);
        return await ((Task<decimal>)list.Invoke(this, [ns, cancellationToken])!).ConfigureAwait(false);
    }

    private async Task<decimal> CountOfAsync<T>(string ns, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        (await _client.ListAsync<T>(ns, cancellationToken: cancellationToken).ConfigureAwait(false)).Items.Count;

    /// <summary>A usage in the notation of its hard limit (e.g. "500m" against "2" cpu, "128Mi" against "1Gi").</summary>
    private static ResourceQuantity Quantity(decimal value, ResourceQuantity hard) =>
        new(new ResourceQuantity(value, 0, hard?.Format ?? ResourceQuantity.SuffixFormat.DecimalSI).CanonicalizeString());

    private static bool Same(IDictionary<string, ResourceQuantity>? a, IDictionary<string, ResourceQuantity> b) =>
        a is not null && a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v is not null && kv.Value is not null && v.ToDecimal() == kv.Value.ToDecimal());
}
