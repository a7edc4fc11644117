using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Runs in the binding cycle before Bind (for example to bind volumes). A failure unreserves the pod and retries it.
/// Returning <see cref="StatusCode.Skip"/> means the plugin has nothing to do for this pod.
/// </summary>
public interface IPreBindPlugin : IPlugin
{
    Task<Status> PreBindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken);
}
