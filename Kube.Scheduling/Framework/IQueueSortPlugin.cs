using Kube.Scheduling.Queue;

namespace Kube.Scheduling.Framework;

/// <summary>
/// Orders the active queue: <see cref="Less"/> says whether <paramref name="a"/> should be scheduled before
/// <paramref name="b"/>. Every profile must use the same QueueSort plugin (there is one queue); the default is
/// PrioritySort (higher priority first, then the earlier arrival).
/// </summary>
public interface IQueueSortPlugin : IPlugin
{
    bool Less(QueuedPodInfo a, QueuedPodInfo b);
}
