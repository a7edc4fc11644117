using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Runs after Reserve, at the end of the scheduling cycle: allow the binding (<see cref="StatusCode.Success"/>), deny it
/// (Unschedulable: the pod is unreserved and retried), or hold it (<see cref="StatusCode.Wait"/> with a timeout) until
/// a plugin allows or rejects the <see cref="IWaitingPod"/> through <see cref="IFrameworkHandle.GetWaitingPod"/>. A pod
/// not allowed by every waiting plugin within its timeout is rejected.
/// </summary>
public interface IPermitPlugin : IPlugin
{
    (Status Status, TimeSpan Timeout) Permit(CycleState state, V1Pod pod, string nodeName);
}
