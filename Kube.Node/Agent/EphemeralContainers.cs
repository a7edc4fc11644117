using k8s;
using k8s.Models;

namespace Kube.Node.Agent;

/// <summary>
/// A pod's ephemeral containers (<c>kubectl debug</c>), as upstream's kubelet runs them: each is started once, as soon as the pod's
/// sandbox and volumes are there (before or alongside init containers, so they can debug those), and never restarted; they take no
/// part in the pod's phase or readiness; their statuses go to <c>status.ephemeralContainerStatuses</c>.
/// </summary>
/// <remarks>
/// <c>targetContainerName</c>: upstream starts the container in the target's process namespace. The process runtime has no process
/// namespaces of its own (every container is a host process, all in the host's), so the target's processes are visible to the
/// ephemeral container anyway (<c>ps</c>, <c>/proc/PID/root</c>); the field is checked by the API server and changes nothing here. The
/// CRI runtime does not share the target's namespace either: containerd's pods share their sandbox's, which is what it does.
/// </remarks>
internal static class EphemeralContainers
{
    /// <summary>The ephemeral container as the <see cref="V1Container"/> it is made of (EphemeralContainerCommon has the same fields).</summary>
    public static V1Container AsContainer(V1EphemeralContainer ephemeral) =>
        NodeJson.Convert<V1EphemeralContainer, V1Container>(ephemeral);

    /// <summary>The pod's ephemeral containers as containers, in spec order.</summary>
    public static IReadOnlyList<V1Container> Of(V1Pod pod) => (pod.Spec.EphemeralContainers ?? []).Select(AsContainer).ToList();
}
