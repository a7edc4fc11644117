using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kube.Controllers.Internal;

/// <summary>
/// The controller runtime's instruments, on the meter "Kube.Controllers", named after controller-runtime's:
/// controller_runtime_reconcile_total {controller, result}, controller_runtime_reconcile_time_seconds {controller},
/// workqueue_depth {name}.
/// </summary>
internal sealed class ControllerMetrics : IDisposable
{
    public const string MeterName = "Kube.Controllers";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _reconciles;
    private readonly Histogram<double> _duration;
    private readonly List<Func<(string Name, int Depth)>> _queues = [];
    private readonly Lock _lock = new();

    public ControllerMetrics(IMeterFactory? factory)
    {
        _ownsMeter = factory is null;
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _reconciles = _meter.CreateCounter<long>("controller_runtime_reconcile_total", description: "Reconciles per controller and result (success, requeue, error).");
        _duration = _meter.CreateHistogram<double>("controller_runtime_reconcile_time_seconds", "s", "Time per reconcile.");
        _meter.CreateObservableGauge("workqueue_depth", ObserveDepths, description: "Requests waiting in each controller's work queue.");
    }

    public void AddQueue(string name, Func<int> depth)
    {
        lock (_lock) _queues.Add(() => (name, depth()));
    }

    public void Record(string controller, string result, long startTimestamp)
    {
        _reconciles.Add(1, new KeyValuePair<string, object?>("controller", controller), new KeyValuePair<string, object?>("result", result));
        _duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("controller", controller));
    }

    private IEnumerable<Measurement<int>> ObserveDepths()
    {
        List<Func<(string, int)>> queues;
        lock (_lock) queues = _queues.ToList();
        foreach (var q in queues)
        {
            var (name, depth) = q();
            yield return new Measurement<int>(depth, new KeyValuePair<string, object?>("name", name));
        }
    }

    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }
}
