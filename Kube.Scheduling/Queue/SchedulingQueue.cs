using k8s.Models;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Queue;

/// <summary>
/// The scheduling queue, as upstream's PriorityQueue: an active heap ordered by priority (higher first) then by the time
/// the pod entered it; a backoff queue where failed pods wait 1 s, 2 s, 4 s, ... up to 10 s per attempt; and an
/// unschedulable set whose pods go back when a cluster event may make them fit (<see cref="MoveAllToActiveOrBackoff"/>)
/// or after <see cref="SchedulerOptions.PodMaxInUnschedulablePodsDuration"/>. A pod is in at most one part at a time.
/// All time comes from the injected <see cref="TimeProvider"/>; <see cref="Start"/> runs the periodic flushes.
/// </summary>
public sealed class SchedulingQueue : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _initialBackoff;
    private readonly TimeSpan _maxBackoff;
    private readonly TimeSpan _maxUnschedulable;
    private readonly bool _popFromBackoff;
    private readonly Lock _lock = new();
    private PriorityQueue<QueuedPodInfo, HeapKey> _heap = new(new HeapOrder(null));
    private readonly Dictionary<string, long> _lastPushed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueuedPodInfo> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueuedPodInfo> _backoff = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueuedPodInfo> _unschedulable = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0, 1);
    private ITimer? _backoffTimer;
    private ITimer? _unschedulableTimer;
    private readonly Dictionary<string, InFlight> _inFlight = new(StringComparer.Ordinal);
    private long _sequence;
    private long _moveRequestCycle = -1;
    private const int MaxInFlightEvents = 1024;
    private readonly Queue<(long Cycle, ClusterEvent Event, object? Old, object? New)> _inFlightEvents = new();
    private long _inFlightEventsDroppedCycle = -1;
    private bool _closed;

    public SchedulingQueue(TimeProvider time, SchedulerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        options ??= new SchedulerOptions();
        _time = time;
        _initialBackoff = options.PodInitialBackoff;
        _maxBackoff = options.PodMaxBackoff;
        _maxUnschedulable = options.PodMaxInUnschedulablePodsDuration;
        _popFromBackoff = options.PopFromBackoffQ;
    }

    /// <summary>
    /// The order of the active heap from a QueueSort plugin; null (the default) is PrioritySort's (priority, then arrival).
    /// Set it before pods are added.
    /// </summary>
    public IQueueSortPlugin? QueueSort
    {
        get;
        set
        {
            lock (_lock)
            {
                if (_heap.Count > 0) throw new InvalidOperationException("The queue sort can only be set while the queue is empty.");
                field = value;
                _heap = new PriorityQueue<QueuedPodInfo, HeapKey>(new HeapOrder(value));
            }
        }
    }

    /// <summary>Increases with every pop: the number of the scheduling cycle of the last popped pod.</summary>
    public long SchedulingCycle { get; private set; }

    public int ActiveCount
    {
        get { lock (_lock) return _active.Count; }
    }

    public int BackoffCount
    {
        get { lock (_lock) return _backoff.Count; }
    }

    public int UnschedulableCount
    {
        get { lock (_lock) return _unschedulable.Count; }
    }

    /// <summary>Starts the periodic flushes: backoff every second, the unschedulable leftovers every 30 seconds.</summary>
    public void Start()
    {
        lock (_lock)
        {
            _backoffTimer ??= _time.CreateTimer(_ => FlushBackoffCompleted(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            _unschedulableTimer ??= _time.CreateTimer(_ => FlushUnschedulableLeftover(), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>The backoff after <paramref name="attempts"/> attempts: initial × 2^(attempts−1), at most the maximum.</summary>
    public TimeSpan BackoffDuration(int attempts)
    {
        var d = _initialBackoff;
        for (var i = 1; i < attempts; i++)
        {
            d *= 2;
            if (d >= _maxBackoff) return _maxBackoff;
        }

        return d > _maxBackoff ? _maxBackoff : d;
    }

    /// <summary>Adds a new pending pod to the active heap (or updates it where it is).</summary>
    public void Add(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            var key = QueuedPodInfo.KeyOf(pod);
            if (_inFlight.TryGetValue(key, out var flying))
            {
                flying.Latest = pod;
                return;
            }

            if (Find(key) is { } existing)
            {
                existing.Pod = pod;
                if (_active.ContainsKey(key)) Push(existing);
                return;
            }

            var info = new QueuedPodInfo(pod, _time.GetUtcNow());
            _active[key] = info;
            Push(info);
            Signal();
        }
    }

    /// <summary>A pending pod changed. A pod in the unschedulable set whose spec or labels changed is moved back to be retried.</summary>
    public void Update(V1Pod oldPod, V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            var key = QueuedPodInfo.KeyOf(pod);
            if (_unschedulable.TryGetValue(key, out var u))
            {
                u.Pod = pod;
                if (Changed(oldPod, pod))
                {
                    _unschedulable.Remove(key);
                    MoveToActiveOrBackoff(u);
                }

                return;
            }
        }

        Add(pod);
    }

    /// <summary>Removes a pod from every part of the queue.</summary>
    public void Delete(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            var key = QueuedPodInfo.KeyOf(pod);
            _active.Remove(key);
            _backoff.Remove(key);
            _unschedulable.Remove(key);
            if (_inFlight.TryGetValue(key, out var flying)) flying.Deleted = true;
        }
    }

    /// <summary>The popped pod was scheduled (or dropped): it is no longer in flight.</summary>
    public void Done(string key)
    {
        lock (_lock)
        {
            _inFlight.Remove(key);
            if (_inFlight.Count == 0) _inFlightEvents.Clear();
        }
    }

    /// <summary>Whether the pod is anywhere in the queue.</summary>
    public bool Contains(string key)
    {
        lock (_lock) return Find(key) is not null;
    }

    /// <summary>Waits for the highest-priority active pod. Returns null once the queue is closed.</summary>
    public async ValueTask<QueuedPodInfo?> PopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_closed) return null;
                while (_heap.TryDequeue(out var info, out var seq))
                {
                    if (!_active.TryGetValue(info.Key, out var current) || !ReferenceEquals(current, info) || _lastPushed.GetValueOrDefault(info.Key) != seq.Sequence) continue;
                    _active.Remove(info.Key);
                    _lastPushed.Remove(info.Key);
                    return StartFlight(info);
                }

                // Nothing is active: a pod still backing off after being unschedulable is tried now rather than leaving the
                // loop idle (upstream's SchedulerPopFromBackoffQ, on by default since 1.33); one backing off after an error waits.
                if (_popFromBackoff && PopBackoff() is { } early) return StartFlight(early);
            }

            await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private QueuedPodInfo StartFlight(QueuedPodInfo info)
    {
        info.Attempts++;
        info.InitialAttemptTimestamp ??= _time.GetUtcNow();
        SchedulingCycle++;
        _inFlight[info.Key] = new InFlight { Cycle = SchedulingCycle };
        return info;
    }

    /// <summary>Removes and returns the pod of the backoff queue whose backoff ends first, not counting those that failed with an error.</summary>
    private QueuedPodInfo? PopBackoff()
    {
        QueuedPodInfo? first = null;
        var firstExpiry = DateTimeOffset.MaxValue;
        foreach (var info in _backoff.Values)
        {
            if (info.BackoffAfterError) continue;
            var expiry = BackoffExpiry(info);
            if (expiry < firstExpiry)
            {
                first = info;
                firstExpiry = expiry;
            }
        }

        if (first is not null) _backoff.Remove(first.Key);
        return first;
    }

    /// <summary>
    /// Puts back a pod whose attempt in <paramref name="podSchedulingCycle"/> failed: into backoff when it failed with an
    /// error or when a cluster event happened during the attempt, otherwise into the unschedulable set. A pod already
    /// queued again (by an update) is left where it is.
    /// </summary>
    public void AddUnschedulableIfNotPresent(QueuedPodInfo info, long podSchedulingCycle, bool error = false)
    {
        ArgumentNullException.ThrowIfNull(info);
        lock (_lock)
        {
            var updated = false;
            if (_inFlight.Remove(info.Key, out var flying))
            {
                if (flying.Deleted) return;
                if (flying.Latest is { } latest)
                {
                    updated = Changed(info.Pod, latest);
                    info.Pod = latest;
                }
            }

            if (_closed || Find(info.Key) is not null) return;
            info.Timestamp = _time.GetUtcNow();
            info.BackoffAfterError = error;
            if (error || updated || _moveRequestCycle >= podSchedulingCycle || EventDuringFlightMayHelp(info, podSchedulingCycle))
                AddBackoff(info);
            else
                _unschedulable[info.Key] = info;
        }
    }

    /// <summary>
    /// Decides per pod whether a cluster event may make it schedulable (queueing hints); null (the default) moves every
    /// pod on every event. Called under the queue's lock: it must be quick and must not call back into the queue.
    /// </summary>
    public Func<QueuedPodInfo, ClusterEvent, object?, object?, bool>? IsWorthRequeuing { get; set; }

    /// <summary>Any cluster change may make unschedulable pods fit: move them all back.</summary>
    public void MoveAllToActiveOrBackoff() => MoveAllToActiveOrBackoff(ClusterEvent.WildCard, null, null);

    /// <summary>
    /// A cluster event (node added or changed, pod deleted, ...): moves the unschedulable pods it may help, by
    /// <see cref="IsWorthRequeuing"/>, to the backoff queue or the active heap. Pods being scheduled meanwhile go to backoff
    /// rather than to the unschedulable set when they fail.
    /// </summary>
    public void MoveAllToActiveOrBackoff(ClusterEvent evt, object? oldObj, object? newObj)
    {
        lock (_lock)
        {
            var hint = IsWorthRequeuing;
            foreach (var info in _unschedulable.Values.ToList())
            {
                if (hint is not null && evt.Resource != EventResource.WildCard && !hint(info, evt, oldObj, newObj)) continue;
                _unschedulable.Remove(info.Key);
                MoveToActiveOrBackoff(info);
            }

            if (hint is null || evt.Resource == EventResource.WildCard)
            {
                _moveRequestCycle = SchedulingCycle;
            }
            else if (_inFlight.Count > 0)
            {
                // Kept for the pods being scheduled now: when one fails, the events of its flight decide where it goes.
                _inFlightEvents.Enqueue((SchedulingCycle, evt, oldObj, newObj));
                if (_inFlightEvents.Count > MaxInFlightEvents)
                {
                    // First forget the events older than every pod still in flight; only then drop relevant ones.
                    var oldest = _inFlight.Values.Min(f => f.Cycle);
                    while (_inFlightEvents.Count > 0 && _inFlightEvents.Peek().Cycle < oldest) _inFlightEvents.Dequeue();
                    if (_inFlightEvents.Count > MaxInFlightEvents)
                    {
                        _inFlightEvents.Dequeue();
                        _inFlightEventsDroppedCycle = SchedulingCycle;
                    }
                }
            }
        }
    }

    /// <summary>Moves pods whose backoff is over to the active heap.</summary>
    public void FlushBackoffCompleted()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var info in _backoff.Values.Where(i => BackoffExpiry(i) <= now).ToList())
            {
                _backoff.Remove(info.Key);
                AddActive(info);
            }
        }
    }

    /// <summary>Moves pods that have been unschedulable for longer than the maximum back to be retried.</summary>
    public void FlushUnschedulableLeftover()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var info in _unschedulable.Values.Where(i => now - i.Timestamp >= _maxUnschedulable).ToList())
            {
                _unschedulable.Remove(info.Key);
                MoveToActiveOrBackoff(info);
            }
        }
    }

    /// <summary>Stops the queue: pops return null.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            Signal();
        }
    }

    public void Dispose()
    {
        Close();
        _backoffTimer?.Dispose();
        _unschedulableTimer?.Dispose();
    }

    /// <summary>Whether an event recorded while the pod was being scheduled may make it schedulable (by its hints).</summary>
    private bool EventDuringFlightMayHelp(QueuedPodInfo info, long podSchedulingCycle)
    {
        if (_inFlightEventsDroppedCycle >= podSchedulingCycle) return true;
        var hint = IsWorthRequeuing;
        var found = false;
        foreach (var (cycle, evt, o, n) in _inFlightEvents)
            if (cycle >= podSchedulingCycle && (hint is null || hint(info, evt, o, n))) found = true;
        if (_inFlight.Count == 0) _inFlightEvents.Clear();
        return found;
    }

    private DateTimeOffset BackoffExpiry(QueuedPodInfo info) => info.Timestamp + BackoffDuration(info.Attempts);

    private void MoveToActiveOrBackoff(QueuedPodInfo info)
    {
        info.BackoffAfterError = false;
        if (BackoffExpiry(info) > _time.GetUtcNow()) AddBackoff(info);
        else AddActive(info);
    }

    /// <summary>Into the backoff queue; a waiting pop is woken, since it may take the pod when nothing is active.</summary>
    private void AddBackoff(QueuedPodInfo info)
    {
        _backoff[info.Key] = info;
        if (_popFromBackoff && !info.BackoffAfterError) Signal();
    }

    private void AddActive(QueuedPodInfo info)
    {
        // The timestamp stays the pod's last failure (upstream's moveToActiveQ keeps it too): a pod retried after its
        // backoff goes before pods that arrived after it failed, not behind everything that came meanwhile.
        _active[info.Key] = info;
        Push(info);
        Signal();
    }

    private void Push(QueuedPodInfo info)
    {
        info.Sequence = ++_sequence;
        _lastPushed[info.Key] = info.Sequence;
        _heap.Enqueue(info, new HeapKey(info, -(info.Pod.Spec?.Priority ?? 0), info.Timestamp, info.Sequence));
    }

    private QueuedPodInfo? Find(string key) =>
        _active.TryGetValue(key, out var a) ? a : _backoff.TryGetValue(key, out var b) ? b : _unschedulable.TryGetValue(key, out var u) ? u : null;

    private void Signal()
    {
        if (_signal.CurrentCount == 0) _signal.Release();
    }

    private static bool Changed(V1Pod? oldPod, V1Pod pod)
    {
        if (oldPod is null) return true;
        // What upstream's isPodUpdated compares: the pod without its status and bookkeeping (a status write is no update).
        // KubernetesJson.Serialize throws on null, hence the guard.
        static string Json(object? o) => o is null ? "null" : k8s.KubernetesJson.Serialize(o);
        return !SameMap(oldPod.Metadata?.Labels, pod.Metadata?.Labels) || !SameMap(oldPod.Metadata?.Annotations, pod.Metadata?.Annotations)
            || Json(oldPod.Spec) != Json(pod.Spec);
    }

    private static bool SameMap(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0)) return false;
        if (a is null || b is null) return true;
        foreach (var (k, v) in a)
            if (!b.TryGetValue(k, out var o) || o != v) return false;
        return true;
    }

    /// <summary>A heap entry: the pod, and its priority and timestamp when pushed (later pushes supersede it).</summary>
    private readonly record struct HeapKey(QueuedPodInfo Info, int NegatedPriority, DateTimeOffset Timestamp, long Sequence);

    /// <summary>The plugin's order (or priority then time), ties broken by push order.</summary>
    private sealed class HeapOrder(IQueueSortPlugin? plugin) : IComparer<HeapKey>
    {
        public int Compare(HeapKey x, HeapKey y)
        {
            if (plugin is not null)
            {
                if (plugin.Less(x.Info, y.Info)) return -1;
                if (plugin.Less(y.Info, x.Info)) return 1;
                return x.Sequence.CompareTo(y.Sequence);
            }

            var c = x.NegatedPriority.CompareTo(y.NegatedPriority);
            if (c == 0) c = x.Timestamp.CompareTo(y.Timestamp);
            return c == 0 ? x.Sequence.CompareTo(y.Sequence) : c;
        }
    }

    private sealed class InFlight
    {
        /// <summary>The scheduling cycle the pod was popped in.</summary>
        public long Cycle { get; init; }

        public V1Pod? Latest { get; set; }

        public bool Deleted { get; set; }
    }
}
