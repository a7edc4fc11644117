using k8s;
using k8s.Models;

namespace Kube.Controllers.Internal;

/// <summary>Owner-reference helpers.</summary>
internal static class OwnerRefs
{
    public static V1OwnerReference? ControllerOf(IKubernetesObject<V1ObjectMeta> obj) =>
        obj.Metadata?.OwnerReferences?.FirstOrDefault(r => r.Controller == true);

    /// <summary>A controller reference to <paramref name="owner"/> with blockOwnerDeletion, as controllers set on what they create.</summary>
    public static V1OwnerReference NewControllerRef<TOwner>(TOwner owner)
        where TOwner : IKubernetesObject<V1ObjectMeta> => new()
    {
        ApiVersion = KindInfo.ApiVersionOf<TOwner>(),
        Kind = KindInfo.KindOf<TOwner>(),
        Name = owner.Metadata.Name,
        Uid = owner.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    public static bool IsOwnedBy(IKubernetesObject<V1ObjectMeta> obj, string? ownerUid) =>
        ownerUid is not null && ControllerOf(obj)?.Uid == ownerUid;
}
