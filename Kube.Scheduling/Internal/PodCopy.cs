using k8s;
using k8s.Models;

namespace Kube.Scheduling.Internal;

internal static class PodCopy
{
    public static V1Pod Clone(V1Pod pod) => KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(pod));

    public static V1Pod WithNodeName(V1Pod pod, string nodeName)
    {
        var copy = Clone(pod);
        copy.Spec ??= new V1PodSpec();
        copy.Spec.NodeName = nodeName;
        return copy;
    }
}
