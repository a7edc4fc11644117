using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// An event a plugin registers, with an optional hint function (pod, old object, new object) that decides per pod;
/// without one, every matching event requeues the pods the plugin rejected.
/// </summary>
public sealed record ClusterEventWithHint(ClusterEvent Event, Func<V1Pod, object?, object?, QueueingHint>? Hint = null);
