using System.Reflection;
using k8s.Models;

namespace Kube.Scheduling.Internal;

internal static class PodCopy
{
    private static readonly Func<object, object> ShallowCopy =
        typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!.CreateDelegate<Func<object, object>>();

    /// <summary>A shallow copy with a shallow copy of its status (or a new one), to replace fields of the status in.</summary>
    public static V1Pod WithStatus(V1Pod pod)
    {
        var copy = (V1Pod)ShallowCopy(pod);
        copy.Status = pod.Status is null ? new V1PodStatus() : (V1PodStatus)ShallowCopy(pod.Status);
        return copy;
    }

    /// <summary>
    /// The pod as if bound to <paramref name="nodeName"/>: a shallow copy sharing everything with the original but a
    /// copied spec with the node name (the assumed pod in the cache; never written back).
    /// </summary>
    public static V1Pod WithNodeName(V1Pod pod, string nodeName)
    {
        var copy = (V1Pod)ShallowCopy(pod);
        copy.Spec = pod.Spec is null ? new V1PodSpec() : (V1PodSpec)ShallowCopy(pod.Spec);
        copy.Spec.NodeName = nodeName;
        return copy;
    }
}
