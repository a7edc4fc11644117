using k8s;
using k8s.Models;

namespace Kube.Core.Events;

/// <summary>
/// Records events.k8s.io/v1 Events about objects, as client-go's events.EventRecorder. Recording never blocks and never
/// throws for API errors: events are written in the background, and repeats are folded into an event series.
/// </summary>
public interface IEventRecorder
{
    /// <param name="regarding">The object the event is about.</param>
    /// <param name="type"><see cref="EventTypes.Normal"/> or <see cref="EventTypes.Warning"/>.</param>
    /// <param name="reason">A short CamelCase reason, e.g. "ScalingReplicaSet".</param>
    /// <param name="action">What was done or failed, e.g. "Scale".</param>
    /// <param name="note">A human-readable description (truncated to 1 KiB).</param>
    /// <param name="related">An optional second object involved.</param>
    void Record(IKubernetesObject<V1ObjectMeta> regarding, string type, string reason, string action, string? note = null,
        IKubernetesObject<V1ObjectMeta>? related = null);
}
