using System.Diagnostics;
using System.Diagnostics.Metrics;
using Kube.Scheduling.Queue;

namespace Kube.Scheduling.Internal;

/// <summary>
/// The scheduler's instruments on the meter "Kube.Scheduling", named after kube-scheduler's:
/// scheduler_schedule_attempts_total {result, profile}, scheduler_scheduling_attempt_duration_seconds {result, profile},
/// scheduler_pending_pods {queue: active, backoff, unschedulable}.
/// </summary>
internal sealed class SchedulerMetrics : IDisposable
{
    public const string MeterName = "Kube.Scheduling";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _duration;

    public SchedulerMetrics(IMeterFactory? factory, SchedulingQueue queue)
    {
        _ownsMeter = factory is null;
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _attempts = _meter.CreateCounter<long>("scheduler_schedule_attempts_total", description: "Scheduling attempts by result (scheduled, unschedulable, error) and profile.");
        _duration = _meter.CreateHistogram<double>("scheduler_scheduling_attempt_duration_seconds", "s", "Time of a scheduling cycle (without binding).");
        _meter.CreateObservableGauge("scheduler_pending_pods", () => new[]
        {
            new Measurement<int>(queue.ActiveCount, new KeyValuePair<string, object?>("queue", "active")),
            new Measurement<int>(queue.BackoffCount, new KeyValuePair<string, object?>("queue", "backoff")),
            new Measurement<int>(queue.UnschedulableCount, new KeyValuePair<string, object?>("queue", "unschedulable")),
        }, description: "Pending pods in each part of the scheduling queue.");
    }

    public void Attempt(string result, string profile, long startTimestamp)
    {
        var tags = new TagList { { "result", result }, { "profile", profile } };
        _attempts.Add(1, tags);
        _duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
    }

    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }
}
