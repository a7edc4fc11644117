using System.Diagnostics.Metrics;

namespace Kube.Node.Agent;

/// <summary>The agent's instruments on the meter <c>Kube.Node</c>, tagged with the node name.</summary>
internal sealed class NodeAgentMetrics : IDisposable
{
    public const string MeterName = "Kube.Node";

    private readonly Meter _meter;
    private readonly KeyValuePair<string, object?> _node;
    private readonly Counter<long> _starts;
    private readonly Counter<long> _restarts;
    private readonly Counter<long> _syncErrors;
    private readonly Histogram<double> _syncDuration;

    public NodeAgentMetrics(string nodeName, IMeterFactory? factory)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _node = new KeyValuePair<string, object?>("node", nodeName);
        _starts = _meter.CreateCounter<long>("kube.node.container.starts", description: "Containers started");
        _restarts = _meter.CreateCounter<long>("kube.node.container.restarts", description: "Containers restarted by their restart policy");
        _syncErrors = _meter.CreateCounter<long>("kube.node.pod.sync.errors", description: "Pod syncs that failed and were retried");
        _syncDuration = _meter.CreateHistogram<double>("kube.node.pod.sync.duration", unit: "s", description: "Duration of one pod sync");
    }

    public void ContainerStarted(bool restart)
    {
        _starts.Add(1, _node);
        if (restart)
        {
            _restarts.Add(1, _node);
        }
    }

    public void SyncFailed() => _syncErrors.Add(1, _node);

    public void SyncDone(TimeSpan duration) => _syncDuration.Record(duration.TotalSeconds, _node);

    public void Dispose() => _meter.Dispose();
}
