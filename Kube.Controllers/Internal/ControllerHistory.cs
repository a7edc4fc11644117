using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kube.Controllers.BuiltIn.Deployment;
using Kube.Core.Client;
using Kube.Core.Helpers;

namespace Kube.Controllers.Internal;

/// <summary>
/// ControllerRevisions of a workload's pod template, as upstream's controller history (used by the DaemonSet and
/// StatefulSet controllers): each distinct template is stored once as <c>&lt;owner&gt;-&lt;hash&gt;</c>, labelled with
/// the owner's selector labels and <c>controller-revision-hash</c>, holding the patch
/// <c>{"spec":{"template":{…,"$patch":"replace"}}}</c> and an increasing revision number. Going back to an older
/// template gives its revision the next number. History beyond the limit goes oldest first, except revisions the
/// owner still uses (the current and update revisions, and those of live pods).
/// </summary>
internal static class ControllerHistory
{
    public const string RevisionLabel = "controller-revision-hash";

    public static string Hash(V1PodTemplateSpec template, int? collisionCount) => PodTemplateHash.Compute(template, collisionCount);

    public static string NameFor(IKubernetesObject<V1ObjectMeta> owner, string hash) => $"{owner.Metadata.Name}-{hash}";

    /// <summary>The revisions <paramref name="owner"/> controls among <paramref name="revisions"/>.</summary>
    public static List<V1ControllerRevision> OwnedBy(IKubernetesObject<V1ObjectMeta> owner, IEnumerable<V1ControllerRevision> revisions) =>
        revisions.Where(r => OwnerReferences.GetControllerOf(r)?.Uid == owner.Metadata.Uid).ToList();

    public static V1ControllerRevision New(IKubernetesObject<V1ObjectMeta> owner, V1LabelSelector? selector, V1PodTemplateSpec template, string name, long revision)
    {
        var node = JsonNode.Parse(KubernetesJson.Serialize(template))!.AsObject();
        node["$patch"] = "replace";
        var data = new JsonObject { ["spec"] = new JsonObject { ["template"] = node } };
        var labels = selector?.MatchLabels is { } m ? new Dictionary<string, string>(m) : new Dictionary<string, string>();
        labels[RevisionLabel] = HashOfName(owner, name);
        return new V1ControllerRevision
        {
            ApiVersion = "apps/v1",
            Kind = "ControllerRevision",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = owner.Metadata.NamespaceProperty,
                Labels = labels,
                OwnerReferences = [OwnerReferences.NewControllerRef(owner)],
            },
            Data = KubernetesJson.Deserialize<object>(data.ToJsonString()),
            Revision = revision,
        };
    }

    /// <summary>The pod template a revision stores, or null when its data is not a template patch.</summary>
    public static V1PodTemplateSpec? TemplateOf(V1ControllerRevision revision)
    {
        if (revision.Data is null) return null;
        var node = JsonNode.Parse(KubernetesJson.Serialize(revision.Data)) as JsonObject;
        if (node?["spec"]?["template"] is not JsonObject template) return null;
        template.Remove("$patch");
        return KubernetesJson.Deserialize<V1PodTemplateSpec>(template.ToJsonString());
    }

    /// <summary>True when a stored revision holds <paramref name="template"/>.</summary>
    public static bool Matches(V1ControllerRevision revision, V1PodTemplateSpec template) =>
        TemplateOf(revision) is { } t && PodTemplateHash.EqualIgnoringHash(t, ObjectCopy.Clone(template));

    /// <summary>
    /// The revision of <paramref name="template"/> among <paramref name="owned"/>, created when new (with the next revision
    /// number; an older revision the owner returns to gets the next number too). On a hash collision with a revision of
    /// other content or another owner, <paramref name="bumpCollisionCount"/> raises the owner's <c>status.collisionCount</c>
    /// and null is returned: the next sync hashes differently.
    /// </summary>
    public static async Task<V1ControllerRevision?> EnsureAsync(IKubeClient client, IKubernetesObject<V1ObjectMeta> owner, V1LabelSelector? selector,
        V1PodTemplateSpec template, int? collisionCount, IReadOnlyList<V1ControllerRevision> owned, Func<Task> bumpCollisionCount,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(bumpCollisionCount);
        var latest = owned.Count == 0 ? 0L : owned.Max(r => (long?)r.Revision) ?? 0L;
        var existing = owned.Where(r => Matches(r, template)).OrderByDescending(r => r.Revision).FirstOrDefault();
        if (existing is not null)
        {
            if (existing.Revision >= latest) return existing;
            var renumbered = ObjectCopy.Clone(existing);
            renumbered.Revision = latest + 1;
            return await client.UpdateAsync(renumbered, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var name = NameFor(owner, Hash(template, collisionCount));
        try
        {
            return await client.CreateAsync(New(owner, selector, template, name, latest + 1), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (AlreadyExistsException)
        {
            var found = await client.GetAsync<V1ControllerRevision>(name, owner.Metadata.NamespaceProperty, cancellationToken).ConfigureAwait(false);
            if (Matches(found, template) && OwnerReferences.GetControllerOf(found)?.Uid == owner.Metadata.Uid) return found;
            await bumpCollisionCount().ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>
    /// Deletes the oldest revisions beyond <paramref name="limit"/>, never one named in <paramref name="inUse"/> (the
    /// owner's current and update revisions, and the <c>controller-revision-hash</c> of its live pods as names or hashes).
    /// </summary>
    public static async Task CleanupAsync(IKubeClient client, IKubernetesObject<V1ObjectMeta> owner, IReadOnlyList<V1ControllerRevision> owned,
        IReadOnlySet<string> inUse, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var candidates = owned
            .Where(r => !inUse.Contains(r.Metadata.Name) && !inUse.Contains(HashOfName(owner, r.Metadata.Name)))
            .OrderBy(r => r.Revision)
            .ToList();
        foreach (var r in candidates.Take(Math.Max(0, candidates.Count - limit)))
        {
            try
            {
                await client.DeleteAsync<V1ControllerRevision>(r.Metadata.Name, r.Metadata.NamespaceProperty, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (NotFoundException)
            {
            }
        }
    }

    /// <summary>The value of a pod's <c>controller-revision-hash</c> label, or null.</summary>
    public static string? RevisionOf(V1Pod pod) => pod.Metadata.Labels?.TryGetValue(RevisionLabel, out var r) == true ? r : null;

    private static string HashOfName(IKubernetesObject<V1ObjectMeta> owner, string name) =>
        name.StartsWith(owner.Metadata.Name + "-", StringComparison.Ordinal) ? name[(owner.Metadata.Name.Length + 1)..] : name;
}
