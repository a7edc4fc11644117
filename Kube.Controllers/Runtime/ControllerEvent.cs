using k8s;
using k8s.Models;

namespace Kube.Controllers.Runtime;

/// <summary>An informer notification about a controller's primary object, as seen by predicates.</summary>
/// <param name="Type">Create, update or delete.</param>
/// <param name="Object">The object (its new state on update, its last known state on delete).</param>
/// <param name="OldObject">The previous state, on update only.</param>
public sealed record ControllerEvent<T>(ControllerEventType Type, T Object, T? OldObject = null)
    where T : class, IKubernetesObject<V1ObjectMeta>;
