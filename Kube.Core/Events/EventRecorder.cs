using System.Reflection;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Core.Events;

/// <summary>
/// Writes events.k8s.io/v1 Events through an <see cref="IKubeClient"/> on a background loop. A repeat of the same
/// (object, type, reason, action, note) within <see cref="EventRecorderOptions.SeriesWindow"/> increments the existing
/// event's <c>series.count</c> and <c>series.lastObservedTime</c>. The queue is bounded: when it is full, new events
/// are dropped and logged. API errors are logged and never reach the caller.
/// </summary>
public sealed partial class EventRecorder : IEventRecorder, IAsyncDisposable
{
    private const int MaxNoteLength = 1024;
    private readonly IKubeClient _client;
    private readonly EventRecorderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Eventsv1Event> _queue;
    private readonly Dictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _seriesOrder = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private long _written;
    private long _dropped;

    public EventRecorder(IKubeClient client, EventRecorderOptions options, TimeProvider? time = null, ILogger<EventRecorder>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.ReportingController);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.QueueLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxTrackedSeries);
        _client = client;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<Eventsv1Event>(new BoundedChannelOptions(options.QueueLength)
        {
            FullMode = BoundedChannelFullMode.Wait, // with Wait, TryWrite reports a full queue (the Drop modes report success)
            SingleReader = true,
        });
        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>Events written (created or series-updated) so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Events dropped because the queue was full or writing failed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Record(IKubernetesObject<V1ObjectMeta> regarding, string type, string reason, string action, string? note = null,
        IKubernetesObject<V1ObjectMeta>? related = null)
    {
        ArgumentNullException.ThrowIfNull(regarding);
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        ArgumentException.ThrowIfNullOrEmpty(action);
        if (note is { Length: > MaxNoteLength }) note = note[..MaxNoteLength];
        var ns = regarding.Metadata?.NamespaceProperty;
        var ev = new Eventsv1Event
        {
            ApiVersion = "events.k8s.io/v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta
            {
                Name = $"{regarding.Metadata?.Name ?? "unknown"}.{_time.GetUtcNow().UtcTicks:x}{Random.Shared.Next():x}",
                NamespaceProperty = string.IsNullOrEmpty(ns) ? "default" : ns,
            },
            EventTime = _time.GetUtcNow().UtcDateTime,
            Type = type,
            Reason = reason,
            Action = action,
            Note = note,
            Regarding = ReferenceOf(regarding),
            Related = related is null ? null : ReferenceOf(related),
            ReportingController = _options.ReportingController,
            ReportingInstance = _options.ReportingInstance,
        };
        if (!_queue.Writer.TryWrite(ev))
        {
            Interlocked.Increment(ref _dropped);
            LogDropped(_logger, reason, regarding.Metadata?.Name);
        }
    }

    /// <summary>Stops after writing what is queued (bounded by <paramref name="cancellationToken"/>).</summary>
    public async Task FlushAndStopAsync(CancellationToken cancellationToken = default)
    {
        _queue.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        await foreach (var ev in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            try
            {
                await WriteAsync(ev, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _written);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is KubeApiException or HttpRequestException or IOException or OperationCanceledException)
            {
                Interlocked.Increment(ref _dropped);
                LogWriteFailed(_logger, ex, ev.Reason, ev.Regarding?.Name);
            }
        }
    }

    private async Task WriteAsync(Eventsv1Event ev, CancellationToken ct)
    {
        var key = string.Join('\u001f', ev.Regarding?.Uid ?? "", ev.Regarding?.Kind ?? "", ev.Regarding?.NamespaceProperty ?? "",
            ev.Regarding?.Name ?? "", ev.Type, ev.Reason, ev.Action, ev.Note ?? "");
        var now = ev.EventTime ?? _time.GetUtcNow().UtcDateTime;
        if (_series.TryGetValue(key, out var s) && now - s.Last <= _options.SeriesWindow)
        {
            s.Count++;
            s.Last = now;
            try
            {
                var existing = await _client.GetAsync<Eventsv1Event>(s.Name, s.Namespace, ct).ConfigureAwait(false);
                existing.Series = new Eventsv1EventSeries { Count = s.Count, LastObservedTime = now };
                await _client.UpdateAsync(existing, cancellationToken: ct).ConfigureAwait(false);
                return;
            }
            catch (NotFoundException)
            {
                // the event was deleted (TTL): start a new one
            }
        }

        var created = await _client.CreateAsync(ev, cancellationToken: ct).ConfigureAwait(false);
        Track(key, new Series(created.Metadata.Name, created.Metadata.NamespaceProperty, now));
    }

    private void Track(string key, Series s)
    {
        if (_series.ContainsKey(key)) _seriesOrder.Remove(key);
        _series[key] = s;
        _seriesOrder.AddLast(key);
        while (_series.Count > _options.MaxTrackedSeries && _seriesOrder.First is { } oldest)
        {
            _series.Remove(oldest.Value);
            _seriesOrder.RemoveFirst();
        }
    }

    private static V1ObjectReference ReferenceOf(IKubernetesObject<V1ObjectMeta> obj)
    {
        var apiVersion = obj.ApiVersion;
        var kind = obj.Kind;
        if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
        {
            var a = obj.GetType().GetCustomAttribute<KubernetesEntityAttribute>();
            if (a is not null)
            {
                apiVersion = string.IsNullOrEmpty(a.Group) ? a.ApiVersion : $"{a.Group}/{a.ApiVersion}";
                kind = a.Kind;
            }
        }

        return new V1ObjectReference
        {
            ApiVersion = apiVersion,
            Kind = kind,
            Name = obj.Metadata?.Name,
            NamespaceProperty = obj.Metadata?.NamespaceProperty,
            Uid = obj.Metadata?.Uid,
            ResourceVersion = obj.Metadata?.ResourceVersion,
        };
    }

    private sealed class Series(string name, string ns, DateTime last)
    {
        public string Name { get; } = name;
        public string Namespace { get; } = ns;
        public int Count { get; set; } = 1;
        public DateTime Last { get; set; } = last;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event queue full; dropped event {Reason} about {Name}")]
    private static partial void LogDropped(ILogger logger, string reason, string? name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write event {Reason} about {Name}")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string? reason, string? name);
}
