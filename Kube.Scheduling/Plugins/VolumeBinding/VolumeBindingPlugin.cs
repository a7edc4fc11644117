using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.NodeAffinity;

namespace Kube.Scheduling.Plugins.VolumeBinding;

/// <summary>
/// Volumes of PersistentVolumeClaims, as upstream's VolumeBinding.
/// <para>PreFilter: a pod without PVC volumes is skipped; a missing or deleting claim, or an unbound claim whose
/// StorageClass binds Immediately (or that has none), makes the pod unresolvable ("pod has unbound immediate
/// PersistentVolumeClaims").</para>
/// <para>Filter: a bound claim's PersistentVolume must allow the node by its <c>spec.nodeAffinity</c> ("node(s) had
/// volume node affinity conflict"); an unbound WaitForFirstConsumer claim needs an Available PV of its class, access
/// modes and size whose node affinity allows the node (the smallest is chosen), or a class that provisions dynamically
/// (provisioner other than kubernetes.io/no-provisioner) ("node(s) didn't find available persistent volumes to
/// bind").</para>
/// <para>Reserve keeps the chosen PVs for the node; PreBind binds them (PV claimRef, PVC volumeName), or for dynamic
/// provisioning annotates the claim with <c>volume.kubernetes.io/selected-node</c>, then waits, checking every second,
/// until every such claim is bound (<c>spec.volumeName</c> set and <c>pv.kubernetes.io/bind-completed</c>), for at most
/// <see cref="VolumeBindingArgs.BindTimeoutSeconds"/> (600 s): a claim deleted meanwhile, or whose selected-node
/// annotation the provisioner removed (it gave up on that node), fails the binding and the pod is retried.</para>
/// </summary>
public sealed class VolumeBindingPlugin : IPreFilterPlugin, IFilterPlugin, IReservePlugin, IPreBindPlugin, IEnqueueExtensions
{
    public const string PluginName = "VolumeBinding";
    public const string ErrReasonBindConflict = "node(s) didn't find available persistent volumes to bind";
    public const string ErrReasonNodeConflict = "node(s) had volume node affinity conflict";
    public const string ErrReasonUnboundImmediate = "pod has unbound immediate PersistentVolumeClaims";
    public const string SelectedNodeAnnotation = "volume.kubernetes.io/selected-node";
    public const string NoProvisioner = "kubernetes.io/no-provisioner";
    private const string StateKey = "PreFilter" + PluginName;

    private readonly IKubeClient? _client;
    private readonly Func<string, string, V1PersistentVolumeClaim?> _claim;
    private readonly Func<string, V1PersistentVolume?> _volume;
    private readonly Func<IReadOnlyList<V1PersistentVolume>> _volumes;
    private readonly Func<string, V1StorageClass?> _class;
    private readonly Func<bool> _synced = () => true;
    private readonly TimeProvider _time;
    private readonly TimeSpan _bindTimeout;

    /// <summary>The plugin over the shared informers' caches of PVCs, PVs and StorageClasses.</summary>
    [Microsoft.Extensions.DependencyInjection.ActivatorUtilitiesConstructor]
    public VolumeBindingPlugin(IKubeClient client, ISharedInformerFactory informers, TimeProvider? time = null, VolumeBindingArgs? args = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _client = client;
        (_time, _bindTimeout) = Settings(time, args);
        var pvcs = informers.GetInformer<V1PersistentVolumeClaim>();
        var pvs = informers.GetInformer<V1PersistentVolume>();
        var classes = informers.GetInformer<V1StorageClass>();
        _claim = (ns, name) => pvcs.Cache.Get(ns, name);
        _volume = name => pvs.Cache.Get(null, name);
        _volumes = () => pvs.Cache.List();
        _class = name => classes.Cache.Get(null, name);
        _synced = () => pvcs.HasSynced && pvs.HasSynced && classes.HasSynced;
    }

    /// <summary>The plugin over fixed objects (simulations and tests); PreBind needs <paramref name="client"/>.</summary>
    public VolumeBindingPlugin(IEnumerable<V1PersistentVolumeClaim> claims, IEnumerable<V1PersistentVolume> volumes, IEnumerable<V1StorageClass> classes, IKubeClient? client = null,
        TimeProvider? time = null, VolumeBindingArgs? args = null)
    {
        (_time, _bindTimeout) = Settings(time, args);
        var c = claims.ToDictionary(x => (x.Metadata.NamespaceProperty, x.Metadata.Name));
        var v = volumes.ToList();
        var s = classes.ToDictionary(x => x.Metadata.Name, StringComparer.Ordinal);
        _client = client;
        _claim = (ns, name) => c.GetValueOrDefault((ns, name));
        _volume = name => v.FirstOrDefault(x => x.Metadata.Name == name);
        _volumes = () => v;
        _class = name => s.GetValueOrDefault(name);
    }

    public string Name => PluginName;

    private static (TimeProvider, TimeSpan) Settings(TimeProvider? time, VolumeBindingArgs? args)
    {
        var seconds = (args ?? new VolumeBindingArgs()).BindTimeoutSeconds;
        if (seconds < 0) throw new ArgumentException($"invalid BindTimeoutSeconds, should not be a negative value: {seconds}", nameof(args));
        return (time ?? TimeProvider.System, TimeSpan.FromSeconds(seconds));
    }

    /// <summary>PVCs and PVs appearing or changing, StorageClasses added, and nodes added or relabelled.</summary>
    public IReadOnlyList<ClusterEventWithHint> EventsToRegister() =>
    [
        new(new ClusterEvent(EventResource.PersistentVolumeClaim, ActionType.Add | ActionType.Update)),
        new(new ClusterEvent(EventResource.PersistentVolume, ActionType.Add | ActionType.Update)),
        new(new ClusterEvent(EventResource.StorageClass, ActionType.Add)),
        new(new ClusterEvent(EventResource.Node, ActionType.Add | ActionType.UpdateNodeLabel)),
    ];

    public Status PreFilter(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        if (pod.Spec?.Volumes is not { } volumes || !volumes.Any(v => v.PersistentVolumeClaim is not null)) return Status.Skip;
        var names = volumes.Where(v => v.PersistentVolumeClaim is not null).Select(v => v.PersistentVolumeClaim.ClaimName).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0) return Status.Skip;
        if (!_synced()) return new Status(StatusCode.Error, ["VolumeBinding: the PersistentVolume caches have not synced yet"]);
        var ns = pod.Metadata.NamespaceProperty ?? "default";
        var bound = new List<V1PersistentVolume?>();
        var delayed = new List<V1PersistentVolumeClaim>();
        foreach (var name in names)
        {
            var claim = _claim(ns, name);
            if (claim is null) return Status.UnschedulableAndUnresolvable($"persistentvolumeclaim \"{name}\" not found");
            if (claim.Metadata.DeletionTimestamp is not null) return Status.UnschedulableAndUnresolvable($"persistentvolumeclaim \"{name}\" is being deleted");
            if (!string.IsNullOrEmpty(claim.Spec?.VolumeName))
            {
                bound.Add(_volume(claim.Spec.VolumeName));
                continue;
            }

            var cls = ClassOf(claim) is { Length: > 0 } cn ? _class(cn) : null;
            if (cls?.VolumeBindingMode != "WaitForFirstConsumer") return Status.UnschedulableAndUnresolvable(ErrReasonUnboundImmediate);
            delayed.Add(claim);
        }

        state.Write(StateKey, new VolumeState(bound, delayed));
        return Status.Success;
    }

    public Status Filter(CycleState state, V1Pod pod, NodeInfo nodeInfo)
    {
        ArgumentNullException.ThrowIfNull(nodeInfo);
        if (state?.Read(StateKey) is not VolumeState s) return Status.Success;
        foreach (var pv in s.Bound)
        {
            if (pv is null) return Status.UnschedulableAndUnresolvable("pvc bound to a missing persistentvolume");
            if (!NodeAllowed(pv, nodeInfo.Node)) return Status.UnschedulableAndUnresolvable(ErrReasonNodeConflict);
        }

        if (s.Delayed.Count == 0) return Status.Success;
        var found = FindVolumes(s.Delayed, nodeInfo.Node);
        if (found is null) return Status.Unschedulable(ErrReasonBindConflict);
        s.PerNode[nodeInfo.Name] = found;
        return Status.Success;
    }

    public Status Reserve(CycleState state, V1Pod pod, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TryRead<VolumeState>(StateKey, out var s) || s.Delayed.Count == 0) return Status.Success;
        if (!s.PerNode.TryGetValue(nodeName, out var chosen)) return Status.Unschedulable(ErrReasonBindConflict);
        s.Chosen = chosen;
        return Status.Success;
    }

    public void Unreserve(CycleState state, V1Pod pod, string nodeName)
    {
        if (state is not null && state.TryRead<VolumeState>(StateKey, out var s)) s.Chosen = null;
    }

    public async Task<Status> PreBindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TryRead<VolumeState>(StateKey, out var s) || s.Chosen is not { Count: > 0 } chosen) return Status.Skip;
        if (_client is null) return new Status(StatusCode.Error, ["VolumeBinding: no API client to bind volumes"]);
        var written = new List<V1PersistentVolumeClaim>();
        foreach (var (claim, pv) in chosen)
        {
            var current = await _client.GetAsync<V1PersistentVolumeClaim>(claim.Metadata.Name, claim.Metadata.NamespaceProperty, cancellationToken).ConfigureAwait(false);
            current.Metadata.Annotations ??= new Dictionary<string, string>();
            if (pv is null)
            {
                current.Metadata.Annotations[SelectedNodeAnnotation] = nodeName;
                written.Add(await _client.UpdateAsync(current, cancellationToken: cancellationToken).ConfigureAwait(false));
                continue;
            }

            var volume = await _client.GetAsync<V1PersistentVolume>(pv.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            volume.Spec.ClaimRef = new V1ObjectReference
            {
                ApiVersion = "v1", Kind = "PersistentVolumeClaim", Name = current.Metadata.Name,
                NamespaceProperty = current.Metadata.NamespaceProperty, Uid = current.Metadata.Uid,
            };
            await _client.UpdateAsync(volume, cancellationToken: cancellationToken).ConfigureAwait(false);
            current.Spec.VolumeName = pv.Metadata.Name;
            current.Metadata.Annotations["pv.kubernetes.io/bind-completed"] = "yes";
            written.Add(await _client.UpdateAsync(current, cancellationToken: cancellationToken).ConfigureAwait(false));
        }

        return await WaitForBindingsAsync(written, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Upstream's wait in BindPodVolumes: every second, until each claim is bound (volumeName and bind-completed), one is
    /// deleted or lost its selected-node annotation (an error), or the bind timeout passes.
    /// </summary>
    private async Task<Status> WaitForBindingsAsync(IReadOnlyList<V1PersistentVolumeClaim> claims, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _bindTimeout;
        while (true)
        {
            var pending = false;
            foreach (var claim in claims)
            {
                var ns = claim.Metadata.NamespaceProperty;
                var name = claim.Metadata.Name;
                var current = _claim(ns, name);
                if (current is null || current.Metadata.Uid != claim.Metadata.Uid)
                    return new Status(StatusCode.Error, [$"binding volumes: pvc {ns}/{name} was deleted"]);
                // The informer may not show our own write yet (upstream's assume cache covers that): wait for it.
                if (Older(current, claim))
                {
                    pending = true;
                    continue;
                }

                if (!string.IsNullOrEmpty(current.Spec?.VolumeName) && current.Metadata.Annotations?.ContainsKey("pv.kubernetes.io/bind-completed") == true) continue;
                if (string.IsNullOrEmpty(current.Spec?.VolumeName) && current.Metadata.Annotations?.ContainsKey(SelectedNodeAnnotation) != true)
                    return new Status(StatusCode.Error, [$"binding volumes: selectedNode annotation reset for PVC \"{name}\""]);
                pending = true;
            }

            if (!pending) return Status.Success;
            var left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero) return new Status(StatusCode.Error, ["binding volumes: context deadline exceeded"]);
            await Task.Delay(left < BindPollInterval ? left : BindPollInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether <paramref name="seen"/> is an older version than <paramref name="written"/> (resourceVersions are store revisions).</summary>
    private static bool Older(V1PersistentVolumeClaim seen, V1PersistentVolumeClaim written) =>
        long.TryParse(seen.Metadata.ResourceVersion, out var a) && long.TryParse(written.Metadata.ResourceVersion, out var b) && a < b;

    /// <summary>How often PreBind checks the claims it waits for (upstream: every second).</summary>
    private static readonly TimeSpan BindPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>For each delayed claim, the smallest matching available PV allowed on the node, or null for dynamic provisioning; null when one claim cannot be satisfied.</summary>
    private List<(V1PersistentVolumeClaim Claim, V1PersistentVolume? Volume)>? FindVolumes(IReadOnlyList<V1PersistentVolumeClaim> claims, V1Node node)
    {
        var result = new List<(V1PersistentVolumeClaim, V1PersistentVolume?)>();
        if (claims.Count == 0) return result;
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var all = _volumes();
        foreach (var claim in claims)
        {
            var cls = ClassOf(claim);
            var want = claim.Spec?.Resources?.Requests is { } r && r.TryGetValue("storage", out var q) ? q.ToDecimal() : 0m;
            var match = all
                .Where(pv => !taken.Contains(pv.Metadata.Name) && Available(pv, claim) && (pv.Spec?.StorageClassName ?? "") == cls
                    && (claim.Spec?.AccessModes ?? []).All(m => pv.Spec?.AccessModes?.Contains(m) == true)
                    && Capacity(pv) >= want && NodeAllowed(pv, node))
                .OrderBy(Capacity)
                .FirstOrDefault();
            if (match is not null)
            {
                taken.Add(match.Metadata.Name);
                result.Add((claim, match));
                continue;
            }

            var sc = cls.Length > 0 ? _class(cls) : null;
            if (sc is null || sc.Provisioner == NoProvisioner || !TopologyAllowed(sc, node)) return null;
            result.Add((claim, null));
        }

        return result;
    }

    private static string ClassOf(V1PersistentVolumeClaim claim) =>
        claim.Spec?.StorageClassName ?? (claim.Metadata.Annotations?.TryGetValue("volume.beta.kubernetes.io/storage-class", out var a) == true ? a : "");

    private static bool Available(V1PersistentVolume pv, V1PersistentVolumeClaim claim) =>
        pv.Metadata.DeletionTimestamp is null && (pv.Spec?.ClaimRef is null
            || (pv.Spec.ClaimRef.Name == claim.Metadata.Name && pv.Spec.ClaimRef.NamespaceProperty == claim.Metadata.NamespaceProperty))
        && pv.Status?.Phase is null or "Available" or "Pending";

    private static decimal Capacity(V1PersistentVolume pv) =>
        pv.Spec?.Capacity is { } c && c.TryGetValue("storage", out var q) ? q.ToDecimal() : 0m;

    /// <summary>The PV's required node affinity allows the node (no affinity allows every node).</summary>
    public static bool NodeAllowed(V1PersistentVolume pv, V1Node node)
    {
        ArgumentNullException.ThrowIfNull(pv);
        var terms = pv.Spec?.NodeAffinity?.Required?.NodeSelectorTerms;
        return terms is null || terms.Count == 0 || NodeSelectorMatcher.MatchesAnyTerm(terms, node);
    }

    private static bool TopologyAllowed(V1StorageClass sc, V1Node node)
    {
        var terms = sc.AllowedTopologies;
        if (terms is null || terms.Count == 0) return true;
        var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        return terms.Any(t => (t.MatchLabelExpressions ?? []).All(e => labels.TryGetValue(e.Key, out var v) && e.Values.Contains(v)));
    }

    private sealed class VolumeState(List<V1PersistentVolume?> bound, List<V1PersistentVolumeClaim> delayed)
    {
        public IReadOnlyList<V1PersistentVolume?> Bound { get; } = bound;

        public IReadOnlyList<V1PersistentVolumeClaim> Delayed { get; } = delayed;

        /// <summary>What Filter found per node (Filter runs in parallel).</summary>
        public System.Collections.Concurrent.ConcurrentDictionary<string, List<(V1PersistentVolumeClaim Claim, V1PersistentVolume? Volume)>> PerNode { get; } = new(StringComparer.Ordinal);

        public List<(V1PersistentVolumeClaim Claim, V1PersistentVolume? Volume)>? Chosen { get; set; }
    }
}
