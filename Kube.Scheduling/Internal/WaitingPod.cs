using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Internal;

/// <summary>
/// A pod held by Permit plugins: completes with Success once every pending plugin allowed it, or with Unschedulable
/// when one rejects it or its timeout (a <see cref="TimeProvider"/> timer per plugin) passes first.
/// </summary>
internal sealed class WaitingPod : IWaitingPod, IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ITimer> _pending = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<Status> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WaitingPod(V1Pod pod, string nodeName, IReadOnlyDictionary<string, TimeSpan> timeouts, TimeProvider time)
    {
        Pod = pod;
        NodeName = nodeName;
        lock (_lock)
        {
            foreach (var (plugin, timeout) in timeouts)
            {
                var name = plugin;
                _pending[name] = time.CreateTimer(_ => Reject(name, $"rejected due to timeout after waiting {GoDuration(timeout)} at plugin {name}"), null, timeout, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public V1Pod Pod { get; }

    public string NodeName { get; }

    public IReadOnlyList<string> PendingPlugins
    {
        get { lock (_lock) return _pending.Keys.ToList(); }
    }

    /// <summary>Completes when the pod is allowed (Success) or rejected (Unschedulable).</summary>
    public Task<Status> Result => _result.Task;

    public void Allow(string pluginName)
    {
        lock (_lock)
        {
            if (_pending.Remove(pluginName, out var timer)) timer.Dispose();
            if (_pending.Count > 0) return;
        }

        _result.TrySetResult(Status.Success);
    }

    public void Reject(string pluginName, string message)
    {
        DisposeTimers();
        _result.TrySetResult(new Status(StatusCode.Unschedulable, [message], pluginName));
    }

    public void Dispose() => DisposeTimers();

    /// <summary>A duration as Go's time.Duration prints it (1m30s, 5s, 250ms), as upstream's message shows it.</summary>
    internal static string GoDuration(TimeSpan d)
    {
        if (d == TimeSpan.Zero) return "0s";
        if (d < TimeSpan.FromSeconds(1)) return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{d.TotalMilliseconds:0.###}ms");
        var s = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{d.TotalSeconds % 60:0.#########}s");
        var minutes = (long)d.TotalMinutes;
        if (minutes == 0) return s;
        return minutes >= 60 ? $"{minutes / 60}h{minutes % 60}m{s}" : $"{minutes}m{s}";
    }

    private void DisposeTimers()
    {
        lock (_lock)
        {
            foreach (var t in _pending.Values) t.Dispose();
            _pending.Clear();
        }
    }
}
