using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Runs before a pending pod enters the scheduling queue. A pod rejected by any PreEnqueue plugin is kept out of the
/// queue (no scheduling attempts, no FailedScheduling events) until it changes and every plugin admits it.
/// </summary>
public interface IPreEnqueuePlugin : IPlugin
{
    Status PreEnqueue(V1Pod pod);
}
