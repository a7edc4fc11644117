using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Informers;

namespace Kube.Controllers.BuiltIn;

/// <summary>
/// The first steps a controller of pods with ControllerRevision history (DaemonSet, StatefulSet) takes on every sync,
/// written once: read the set from its informer (nothing to do when it is gone or being deleted), adopt/release pods by
/// its selector (<see cref="ControllerRefManager"/>), list its revisions, and make sure the revision of its current
/// template exists, bumping <c>status.collisionCount</c> on a hash collision as upstream's controller history does.
/// </summary>
internal sealed class RevisionedPodSet<TSet>
    where TSet : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly IKubeClient _client;
    private readonly IInformer<TSet> _sets;
    private readonly IInformer<V1Pod> _pods;
    private readonly IInformer<V1ControllerRevision> _revisions;
    private readonly Func<TSet, V1LabelSelector?> _selector;
    private readonly Func<TSet, V1PodTemplateSpec> _template;
    private readonly Func<TSet, int?> _collisionCount;

    public RevisionedPodSet(IKubeClient client, ISharedInformerFactory informers, Func<TSet, V1LabelSelector?> selector,
        Func<TSet, V1PodTemplateSpec> template, Func<TSet, int?> collisionCount)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _client = client;
        _sets = informers.GetInformer<TSet>();
        _pods = informers.GetInformer<V1Pod>();
        _revisions = informers.GetInformer<V1ControllerRevision>();
        _selector = selector;
        _template = template;
        _collisionCount = collisionCount;
    }

    /// <summary>
    /// Loads the set (<see cref="LoadAsync"/>) and runs <paramref name="sync"/> with it and the revision of its current
    /// template: done when the set is gone or being deleted, a retry in 1 s while that revision cannot be made.
    /// </summary>
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, Func<State, V1ControllerRevision, CancellationToken, Task<ReconcileResult>> sync,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sync);
        if (await LoadAsync(request, cancellationToken).ConfigureAwait(false) is not { } state) return ReconcileResult.Done;
        if (state.UpdateRevision is not { } update) return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(1));
        return await sync(state, update, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The set with its pods and revisions; null when the set is gone or being deleted. <see cref="State.UpdateRevision"/>
    /// is null when the revision of the current template could not be made yet (a collision was just counted): retry soon.
    /// </summary>
    public async Task<State?> LoadAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var set = _sets.Cache.Get(request.Namespace, request.Name);
        if (set is null || set.Metadata.DeletionTimestamp is not null)
        {
            return null;
        }

        var ns = set.Metadata.NamespaceProperty ?? "";
        var pods = await ControllerRefManager.ClaimAsync(_client, set, _selector(set), _pods.Cache.ByIndex(Indexers.Namespace, ns), cancellationToken)
            .ConfigureAwait(false);
        var revisions = ControllerHistory.OwnedBy(set, _revisions.Cache.ByIndex(Indexers.Namespace, ns));
        var update = await ControllerHistory.EnsureAsync(_client, set, _selector(set), _template(set), _collisionCount(set), revisions, async () =>
        {
            // A hash collision: bump status.collisionCount (on a copy; both kinds' status has the field) so that the next sync hashes differently.
            var json = JsonNode.Parse(KubernetesJson.Serialize(set))!.AsObject();
            if (json["status"] is not JsonObject status)
            {
                json["status"] = status = [];
            }

            status["collisionCount"] = (_collisionCount(set) ?? 0) + 1;
            var copy = KubernetesJson.Deserialize<TSet>(json.ToJsonString());
            await _client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return new State(set, ns, pods, revisions, update);
    }

    /// <summary>What <see cref="LoadAsync"/> read.</summary>
    public sealed record State(TSet Set, string Namespace, List<V1Pod> Pods, List<V1ControllerRevision> Revisions, V1ControllerRevision? UpdateRevision);
}
