using k8s;
using k8s.Models;
using Kube.Core.Helpers;
using Kube.Core.Client;
using Kube.Core.Selectors;

namespace Kube.Controllers.Internal;

/// <summary>
/// Claims children for an owner, as upstream's ControllerRefManager: keeps children it controls that match its selector,
/// adopts orphans that match (when the owner is not being deleted), and releases children that stopped matching.
/// </summary>
internal static class ControllerRefManager
{
    public static async Task<List<TChild>> ClaimAsync<TOwner, TChild>(
        IKubeClient client,
        TOwner owner,
        V1LabelSelector? selector,
        IEnumerable<TChild> candidates,
        CancellationToken cancellationToken)
        where TOwner : class, IKubernetesObject<V1ObjectMeta>
        where TChild : class, IKubernetesObject<V1ObjectMeta>
    {
        var claimed = new List<TChild>();
        bool? canAdopt = null;
        var compiled = Selectors.IsEmpty(selector) ? LabelSelector.Nothing : LabelSelector.FromLabelSelector(selector);
        foreach (var child in candidates)
        {
            var matches = compiled.Matches(child.Metadata.Labels);
            var controllerRef = OwnerReferences.GetControllerOf(child);
            if (controllerRef is not null)
            {
                if (controllerRef.Uid != owner.Metadata.Uid) continue;
                if (matches)
                {
                    claimed.Add(child);
                }
                else if (child.Metadata.DeletionTimestamp is null)
                {
                    await ReleaseAsync(client, owner, child, cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (!matches || owner.Metadata.DeletionTimestamp is not null || child.Metadata.DeletionTimestamp is not null) continue;
            canAdopt ??= await CanAdoptAsync(client, owner, cancellationToken).ConfigureAwait(false);
            if (!canAdopt.Value) continue;
            var adopted = await AdoptAsync(client, owner, child, cancellationToken).ConfigureAwait(false);
            if (adopted is not null) claimed.Add(adopted);
        }

        return claimed;
    }

    /// <summary>Checks against the server (not the cache) that the owner still exists with the same uid and is not being deleted.</summary>
    private static async Task<bool> CanAdoptAsync<TOwner>(IKubeClient client, TOwner owner, CancellationToken cancellationToken)
        where TOwner : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            var fresh = await client.GetAsync<TOwner>(owner.Metadata.Name, owner.Metadata.NamespaceProperty, cancellationToken).ConfigureAwait(false);
            return fresh.Metadata.Uid == owner.Metadata.Uid && fresh.Metadata.DeletionTimestamp is null;
        }
        catch (NotFoundException)
        {
            return false;
        }
    }

    private static async Task<TChild?> AdoptAsync<TOwner, TChild>(IKubeClient client, TOwner owner, TChild child, CancellationToken cancellationToken)
        where TOwner : class, IKubernetesObject<V1ObjectMeta>
        where TChild : class, IKubernetesObject<V1ObjectMeta>
    {
        var copy = ObjectCopy.Clone(child);
        copy.Metadata.OwnerReferences ??= new List<V1OwnerReference>();
        copy.Metadata.OwnerReferences.Add(OwnerReferences.NewControllerRef(owner));
        try
        {
            return await client.UpdateAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    private static async Task ReleaseAsync<TOwner, TChild>(IKubeClient client, TOwner owner, TChild child, CancellationToken cancellationToken)
        where TOwner : class, IKubernetesObject<V1ObjectMeta>
        where TChild : class, IKubernetesObject<V1ObjectMeta>
    {
        var copy = ObjectCopy.Clone(child);
        copy.Metadata.OwnerReferences = copy.Metadata.OwnerReferences?.Where(r => r.Uid != owner.Metadata.Uid).ToList();
        try
        {
            await client.UpdateAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }
    }
}
