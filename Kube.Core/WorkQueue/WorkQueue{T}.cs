using System.Threading.Channels;

namespace Kube.Core.WorkQueue;

/// <summary>
/// The rate-limited, delaying, de-duplicating work queue of client-go (<c>util/workqueue</c>), on
/// <see cref="System.Threading.Channels"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>An item is <em>dirty</em> from <see cref="Add"/> until a worker takes it; adding a dirty item again is a no-op.</item>
/// <item>A taken item is <em>processing</em> until <see cref="Done"/>. Adding it meanwhile marks it dirty but does not
/// queue it; <see cref="Done"/> queues it then. So one item is never handed to two workers at once.</item>
/// <item><see cref="AddAfter"/> arms a timer of the injected <see cref="TimeProvider"/>; of several pending delays
/// for one item the earliest wins.</item>
/// <item><see cref="ShutDown"/> ignores later adds and cancels pending delays; <see cref="GetAsync"/> keeps handing out
/// what is queued (including items re-added while processing, once they are <see cref="Done"/>), then returns false.</item>
/// </list>
/// The queue is unbounded: it holds at most one entry per distinct item, so its size is bounded by the number of
/// distinct keys the caller adds.
/// </remarks>
public sealed class WorkQueue<T> : IWorkQueue<T>
    where T : notnull
{
    private readonly Lock _lock = new();
    private readonly Channel<T> _ready = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly HashSet<T> _dirty = [];
    private readonly HashSet<T> _processing = [];
    private readonly Dictionary<T, Waiting> _waiting = [];
    private readonly TimeProvider _time;
    private readonly IRateLimiter<T> _limiter;
    private readonly WorkQueueMetrics _metrics;
    private readonly Dictionary<T, long> _queuedAt = [];
    private readonly Dictionary<T, long> _startedAt = [];
    private bool _shuttingDown;
    private bool _completed;
    private TaskCompletionSource? _idle;

    /// <param name="time">The clock for delayed adds; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="limiter">The limiter of <see cref="AddRateLimited"/>; default <see cref="RateLimiters.DefaultControllerRateLimiter{T}"/>.</param>
    /// <param name="name">A name for logs and diagnostics; default the item type's name.</param>
    public WorkQueue(TimeProvider? time = null, IRateLimiter<T>? limiter = null, string? name = null)
    {
        _time = time ?? TimeProvider.System;
        _limiter = limiter ?? RateLimiters.DefaultControllerRateLimiter<T>(_time);
        Name = name ?? typeof(T).Name;
        _metrics = new WorkQueueMetrics(Name, () => Count);
    }

    /// <summary>Creates a queue; see the constructor for the defaults.</summary>
    public static WorkQueue<T> Create(TimeProvider? time = null, IRateLimiter<T>? limiter = null, string? name = null) =>
        new(time, limiter, name);

    public string Name { get; }

    /// <summary>The number of items waiting to be taken (not counting delayed or processing ones).</summary>
    public int Count => _ready.Reader.Count;

    /// <summary>The number of items handed out and not yet <see cref="Done"/>.</summary>
    public int ProcessingCount
    {
        get { lock (_lock) return _processing.Count; }
    }

    /// <summary>The number of items waiting for a delayed add.</summary>
    public int DelayedCount
    {
        get { lock (_lock) return _waiting.Count; }
    }

    public bool IsShuttingDown
    {
        get { lock (_lock) return _shuttingDown; }
    }

    public void Add(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        lock (_lock)
        {
            if (_shuttingDown) return;
            if (!_dirty.Add(item)) return;
            _metrics.Adds.Add(1);
            if (_processing.Contains(item)) return;
            _queuedAt[item] = _time.GetTimestamp();
            _ready.Writer.TryWrite(item);
        }
    }

    public void AddAfter(T item, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (delay <= TimeSpan.Zero)
        {
            Add(item);
            return;
        }

        lock (_lock)
        {
            if (_shuttingDown) return;
            var readyAt = _time.GetUtcNow() + delay;
            if (_waiting.TryGetValue(item, out var existing))
            {
                if (existing.ReadyAt <= readyAt) return;
                existing.Timer.Dispose();
            }

            var entry = new Waiting(readyAt);
            _waiting[item] = entry;
            // The callback can run synchronously (a fake clock) but never under this lock: timers fire later.
            entry.Timer = _time.CreateTimer(_ => Fire(item, entry), null, delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void Fire(T item, Waiting entry)
    {
        lock (_lock)
        {
            if (!_waiting.TryGetValue(item, out var current) || !ReferenceEquals(current, entry)) return;
            _waiting.Remove(item);
            entry.Timer.Dispose();
        }

        Add(item);
    }

    public void AddRateLimited(T item)
    {
        _metrics.Retries.Add(1);
        AddAfter(item, _limiter.When(item));
    }

    public void Forget(T item) => _limiter.Forget(item);

    public int NumRequeues(T item) => _limiter.NumRequeues(item);

    public async ValueTask<(bool Ok, T Item)> GetAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            while (_ready.Reader.TryRead(out var item))
            {
                lock (_lock)
                {
                    _dirty.Remove(item);
                    _processing.Add(item);
                    var now = _time.GetTimestamp();
                    if (_queuedAt.Remove(item, out var queued)) _metrics.QueueDuration.Record(_time.GetElapsedTime(queued, now).TotalSeconds);
                    _startedAt[item] = now;
                }

                return (true, item);
            }

            if (!await _ready.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                return (false, default!);
        }
    }

    public void Done(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        lock (_lock)
        {
            if (!_processing.Remove(item)) return;
            if (_startedAt.Remove(item, out var started)) _metrics.WorkDuration.Record(_time.GetElapsedTime(started).TotalSeconds);
            if (_dirty.Contains(item))
            {
                // Re-added while processing: queue it now. During shutdown it is still handed out (drain).
                _queuedAt[item] = _time.GetTimestamp();
                _ready.Writer.TryWrite(item);
            }

            CompleteIfDrained();
            if (_processing.Count == 0 && _idle is not null)
            {
                _idle.TrySetResult();
                _idle = null;
            }
        }
    }

    public void ShutDown()
    {
        lock (_lock)
        {
            if (_shuttingDown) return;
            _shuttingDown = true;
            foreach (var w in _waiting.Values) w.Timer.Dispose();
            _waiting.Clear();
            CompleteIfDrained();
        }
    }

    /// <summary>
    /// Shuts down, then waits until every handed-out item is <see cref="Done"/> (client-go's ShutDownWithDrain).
    /// </summary>
    public Task ShutDownWithDrainAsync(CancellationToken cancellationToken = default)
    {
        ShutDown();
        Task wait;
        lock (_lock)
        {
            if (_processing.Count == 0) return Task.CompletedTask;
            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _idle.Task;
        }

        return wait.WaitAsync(cancellationToken);
    }

    /// <summary>Shuts down and releases the queue's metrics.</summary>
    public void Dispose()
    {
        ShutDown();
        _metrics.Dispose();
    }

    // Called under the lock. After shutdown the channel is completed once nothing can be queued any more:
    // no processing item is waiting for Done to re-queue it.
    private void CompleteIfDrained()
    {
        if (!_shuttingDown || _completed) return;
        foreach (var p in _processing)
        {
            if (_dirty.Contains(p)) return;
        }

        _completed = true;
        _ready.Writer.TryComplete();
    }

    private sealed class Waiting(DateTimeOffset readyAt)
    {
        public DateTimeOffset ReadyAt { get; } = readyAt;
        public ITimer Timer { get; set; } = null!;
    }
}
