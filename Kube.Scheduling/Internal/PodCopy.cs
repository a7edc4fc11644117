using System.Reflection;
using k8s;
using k8s.Models;

namespace Kube.Scheduling.Internal;

internal static class PodCopy
{
    private static readonly Func<object, object> ShallowCopy =
        typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!.CreateDelegate<Func<object, object>>();

    /// <summary>A deep copy (for writing back to the API).</summary>
    public static V1Pod Clone(V1Pod pod) => KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(pod));

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
