using System.Diagnostics.Metrics;

namespace Kube.Core.WorkQueue;

/// <summary>A work queue's instruments on a meter named <c>Kube.Core</c>, tagged with the queue's name (client-go's workqueue metrics).</summary>
internal sealed class WorkQueueMetrics : IDisposable
{
    public const string MeterName = "Kube.Core";

    private readonly Meter _meter;

    public WorkQueueMetrics(string name, Func<int> depth)
    {
        _meter = new Meter(MeterName, "1.0.0", [new KeyValuePair<string, object?>("queue", name)]);
        Adds = _meter.CreateCounter<long>("kube.workqueue.adds", "{item}", "Items queued (adds of an item already queued are not counted).");
        Retries = _meter.CreateCounter<long>("kube.workqueue.retries", "{item}", "Rate-limited re-adds.");
        QueueDuration = _meter.CreateHistogram<double>("kube.workqueue.queue.duration", "s", "Time an item waited in the queue before a worker took it.");
        WorkDuration = _meter.CreateHistogram<double>("kube.workqueue.work.duration", "s", "Time from taking an item to Done.");
        _meter.CreateObservableGauge("kube.workqueue.depth", depth, "{item}", "Items waiting to be taken.");
    }

    public Counter<long> Adds { get; }

    public Counter<long> Retries { get; }

    public Histogram<double> QueueDuration { get; }

    public Histogram<double> WorkDuration { get; }

    public void Dispose() => _meter.Dispose();
}
