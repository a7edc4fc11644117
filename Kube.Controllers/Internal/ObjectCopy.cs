using k8s;

namespace Kube.Controllers.Internal;

/// <summary>Deep copies of model objects (cache objects are shared and must not be mutated).</summary>
internal static class ObjectCopy
{
    public static T Clone<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));
}
