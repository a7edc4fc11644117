using k8s.Models;
using Kube.Core.Informers;

namespace Kube.Benchmarks.Scheduler;

/// <summary>
/// Upstream scheduler_perf's SchedulingThroughput (test/integration/scheduler_perf, throughputCollector): the scheduler's
/// own pod informer counts measured pods whose spec.nodeName goes from empty to set; every second a sample is taken. The
/// first sample with any pod scheduled only sets the baseline (it is an outlier: sampling and pod creation start
/// independently); a second with no new pod is not recorded on its own but makes the next sample span it, and that
/// sample's rate (new pods / actual time since the last sample) is recorded once per second it spans. Sampling stops
/// when all measured pods are scheduled; the tail after the last sample is not counted. The result is the average of
/// the samples (upstream's "Average"; Perc50/90/99 are over the same samples).
/// </summary>
internal sealed class ThroughputCollector : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly string _prefix;
    private readonly List<double> _samples = [];
    private readonly IDisposable _registration;
    private int _scheduled;

    public ThroughputCollector(IInformer<V1Pod> pods, string prefix)
    {
        _prefix = prefix;
        _registration = pods.AddEventHandler(new ResourceEventHandler<V1Pod>(
            (p, _) => OnChange(null, p),
            OnChange));
    }

    /// <summary>Measured pods seen scheduled so far.</summary>
    public int Scheduled => Volatile.Read(ref _scheduled);

    private void OnChange(V1Pod? oldPod, V1Pod pod)
    {
        if (!pod.Metadata.Name.StartsWith(_prefix, StringComparison.Ordinal)) return;
        if (string.IsNullOrEmpty(oldPod?.Spec?.NodeName) && !string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            Interlocked.Increment(ref _scheduled);
            lock (_times) _times.Add(System.Diagnostics.Stopwatch.GetTimestamp());
        }
    }

    private readonly List<long> _times = [];

    /// <summary>When (seconds after <paramref name="start"/>, a Stopwatch timestamp) the first, 50 %, 90 %, 99 % and last measured pods were seen scheduled.</summary>
    public string Timeline(long start)
    {
        long[] t;
        lock (_times) t = [.. _times];
        if (t.Length == 0) return "none scheduled";
        Array.Sort(t);
        string At(double q) => System.Diagnostics.Stopwatch.GetElapsedTime(start, t[Math.Min(t.Length - 1, (int)(q * t.Length))]).TotalSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        return $"scheduled at (s after the first create): first {At(0)}, 50% {At(0.5)}, 90% {At(0.9)}, 99% {At(0.99)}, last {At(1)}";
    }

    /// <summary>Samples every second until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval);
        var last = Scheduled;
        var lastTime = System.Diagnostics.Stopwatch.GetTimestamp();
        var started = false;
        var skipped = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                var scheduled = Scheduled;
                if (scheduled == 0) continue;
                if (!started)
                {
                    started = true;
                    last = scheduled;
                    lastTime = now;
                    continue;
                }

                var added = scheduled - last;
                if (added == 0)
                {
                    skipped++;
                    continue;
                }

                var rate = added / System.Diagnostics.Stopwatch.GetElapsedTime(lastTime, now).TotalSeconds;
                lock (_samples)
                    for (var i = 0; i <= skipped; i++) _samples.Add(rate);
                last = scheduled;
                lastTime = now;
                skipped = 0;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Average, p50 and number of the per-second samples (NaN and 0 when the run was shorter than two samples).</summary>
    public (double Average, double Perc50, int Samples) Result()
    {
        double[] s;
        lock (_samples) s = [.. _samples];
        if (s.Length == 0) return (double.NaN, double.NaN, 0);
        Array.Sort(s);
        return (s.Average(), s[(int)Math.Ceiling(s.Length * 50 / 100.0) - 1], s.Length);
    }

    public void Dispose() => _registration.Dispose();
}
