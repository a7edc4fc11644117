using System.Collections.Concurrent;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Internal;

/// <summary>The <see cref="IFrameworkHandle"/> of one profile; created before its plugins, completed with the framework.</summary>
internal sealed class FrameworkHandle(string schedulerName, IPodNominator nominator) : IFrameworkHandle
{
    private SchedulingFramework? _framework;

    public string SchedulerName { get; } = schedulerName;

    public SchedulingFramework Framework
    {
        get => _framework ?? throw new InvalidOperationException("The framework is not built yet (plugins may use it from their extension points, not their constructors).");
        set => _framework = value;
    }

    public IReadOnlyList<NodeInfo> Snapshot { get; set; } = [];

    public IPodNominator Nominator { get; } = nominator;

    public ConcurrentDictionary<string, WaitingPod> Waiting { get; } = new(StringComparer.Ordinal);

    public IWaitingPod? GetWaitingPod(string uid) => Waiting.TryGetValue(uid, out var w) ? w : null;

    public IReadOnlyList<IWaitingPod> WaitingPods() => Waiting.Values.ToList<IWaitingPod>();
}
