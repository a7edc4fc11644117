using k8s;
using k8s.Models;

namespace Kube.Controllers.Runtime;

/// <summary>Common event predicates for <see cref="ControllerBuilder{T}.WithPredicate"/>.</summary>
public static class Predicates
{
    /// <summary>Passes creates, deletes, and updates that change metadata.generation (that is, the spec).</summary>
    public static bool GenerationChanged<T>(ControllerEvent<T> e)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Type != ControllerEventType.Update || e.OldObject?.Metadata?.Generation != e.Object.Metadata?.Generation;
    }

    /// <summary>Passes creates, deletes, and updates that change the labels.</summary>
    public static bool LabelsChanged<T>(ControllerEvent<T> e)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Type != ControllerEventType.Update) return true;
        var a = e.OldObject?.Metadata?.Labels ?? new Dictionary<string, string>();
        var b = e.Object.Metadata?.Labels ?? new Dictionary<string, string>();
        return a.Count != b.Count || a.Any(kv => !b.TryGetValue(kv.Key, out var v) || v != kv.Value);
    }
}
