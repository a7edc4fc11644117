using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Binds the pod to the node, asynchronously (the binding cycle). Bind plugins run in order until one returns something
/// other than <see cref="StatusCode.Skip"/>.
/// </summary>
public interface IBindPlugin : IPlugin
{
    Task<Status> BindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken);
}
