namespace Kube.Scheduling.Framework;

/// <summary>
/// Queueing hints: a plugin that rejects pods (PreFilter, Filter, Reserve, Permit) declares the cluster events that can
/// make such a pod schedulable. A pod in the unschedulable set moves back when an event matches a registration of a
/// plugin that rejected it (and its hint says Queue). Plugins without this interface are interested in every event.
/// </summary>
public interface IEnqueueExtensions : IPlugin
{
    IReadOnlyList<ClusterEventWithHint> EventsToRegister();
}
