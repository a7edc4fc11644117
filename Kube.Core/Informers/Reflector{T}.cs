using k8s;
using k8s.Models;
using Kube.Core.Client;
using WatchEventType = Kube.Core.Client.WatchEventType;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Kube.Core.Informers;

/// <summary>
/// client-go's reflector: lists (in pages) and then watches from the list's resourceVersion with bookmarks; when a
/// watch ends it re-watches from the last version seen; on 410 Gone it relists. Failures are retried with jittered
/// exponential backoff (Polly, on the injected clock), capped at <see cref="InformerOptions.MaxBackoff"/>.
/// </summary>
internal sealed partial class Reflector<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly IKubeClient _client;
    private readonly string? _namespace;
    private readonly string? _labelSelector;
    private readonly string? _fieldSelector;
    private readonly IReflectorSink<T> _sink;
    private readonly TimeProvider _time;
    private readonly InformerOptions _options;
    private readonly ILogger _logger;
    private readonly string _typeName = typeof(T).Name;
    private bool _needList = true;
    private int _consecutiveGone;
    private volatile string? _lastResourceVersion;
    private readonly InformerMetrics? _metrics;

    public Reflector(IKubeClient client, string? @namespace, string? labelSelector, string? fieldSelector,
        IReflectorSink<T> sink, TimeProvider time, InformerOptions options, ILogger logger, InformerMetrics? metrics = null)
    {
        _metrics = metrics;
        _client = client;
        _namespace = @namespace;
        _labelSelector = labelSelector;
        _fieldSelector = fieldSelector;
        _sink = sink;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>The resourceVersion of the last list, event or bookmark.</summary>
    public string? LastResourceVersion => _lastResourceVersion;

    /// <summary>How many complete lists were made (diagnostics).</summary>
    public int ListCount { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e && (e is not OperationCanceledException || !args.Context.CancellationToken.IsCancellationRequested)),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.InitialBackoff,
                MaxDelay = _options.MaxBackoff,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    _metrics?.Failures.Add(1);
                    LogRetry(_logger, args.Outcome.Exception, _typeName, args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            })
            .Build();

        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await pipeline.ExecuteAsync(static (self, ct) => self.ListAndWatchOnceAsync(ct), this, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private async ValueTask ListAndWatchOnceAsync(CancellationToken ct)
    {
        if (_needList)
        {
            await ListAsync(ct).ConfigureAwait(false);
            _needList = false;
        }

        var options = new ListOptions
        {
            LabelSelector = _labelSelector,
            FieldSelector = _fieldSelector,
            ResourceVersion = _lastResourceVersion,
            AllowWatchBookmarks = true,
            // as client-go: between one and two times the configured timeout, so that many watches do not all restart at once
            TimeoutSeconds = (int)Math.Max(1, _options.WatchTimeout.TotalSeconds * (1 + Random.Shared.NextDouble())),
        };
        var started = _time.GetTimestamp();
        var events = 0;
        _metrics?.Watches.Add(1);
        try
        {
            await foreach (var ev in _client.WatchAsync<T>(_namespace, options, ct).ConfigureAwait(false))
            {
                if (ev.Type == WatchEventType.Error)
                {
                    throw KubeApiException.FromStatus(ev.Status ?? KubeApiException.NewStatus(500, "InternalError", "watch ERROR event without a status"));
                }

                events++;
                _metrics?.Events.Add(1);
                _consecutiveGone = 0;
                _sink.Apply(ev);
                if (!string.IsNullOrEmpty(ev.ResourceVersion)) _lastResourceVersion = ev.ResourceVersion;
            }
        }
        catch (GoneException ex)
        {
            // The version we asked for was compacted away: relist. A second 410 in a row goes through backoff.
            _needList = true;
            _metrics?.Gone.Add(1);
            LogGone(_logger, _typeName, options.ResourceVersion, ex.Message);
            if (++_consecutiveGone > 1) throw;
            return;
        }

        if (events == 0 && _time.GetElapsedTime(started) < _options.MinWatchDuration)
            throw new WatchEndedEarlyException($"The watch of {_typeName} from resourceVersion {options.ResourceVersion} ended at once without events.");
        LogWatchEnded(_logger, _typeName, events, _lastResourceVersion);
    }

    private async Task ListAsync(CancellationToken ct)
    {
        var items = new List<T>();
        string? rv = null;
        string? cont = null;
        var pages = 0;
        do
        {
            KubeList<T> page;
            try
            {
                page = await _client.ListAsync<T>(_namespace, new ListOptions
                {
                    LabelSelector = _labelSelector,
                    FieldSelector = _fieldSelector,
                    Limit = _options.PageSize > 0 ? _options.PageSize : null,
                    Continue = cont,
                }, ct).ConfigureAwait(false);
            }
            catch (GoneException) when (cont is not null)
            {
                // The continue token expired in the middle of a paged list: list everything at once instead.
                LogContinueExpired(_logger, _typeName, items.Count);
                items.Clear();
                page = await _client.ListAsync<T>(_namespace, new ListOptions { LabelSelector = _labelSelector, FieldSelector = _fieldSelector }, ct).ConfigureAwait(false);
                items.AddRange(page.Items);
                rv = page.ResourceVersion;
                break;
            }

            rv ??= page.ResourceVersion;
            items.AddRange(page.Items);
            cont = string.IsNullOrEmpty(page.Continue) ? null : page.Continue;
            if (++pages >= _options.MaxPages && cont is not null)
                throw new InvalidOperationException($"The list of {_typeName} did not end within {_options.MaxPages} pages.");
        }
        while (cont is not null);

        _sink.Replace(items, rv ?? "");
        _lastResourceVersion = rv;
        ListCount++;
        _metrics?.Lists.Add(1);
        LogListed(_logger, _typeName, items.Count, pages, rv);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reflector for {Type} failed; retry {Attempt} in {Delay}")]
    private static partial void LogRetry(ILogger logger, Exception? exception, string type, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch of {Type} from resourceVersion {ResourceVersion} is gone ({Message}); relisting")]
    private static partial void LogGone(ILogger logger, string type, string? resourceVersion, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Watch of {Type} ended after {Events} events at resourceVersion {ResourceVersion}; re-watching")]
    private static partial void LogWatchEnded(ILogger logger, string type, int events, string? resourceVersion);

    [LoggerMessage(Level = LogLevel.Information, Message = "Continue token of the {Type} list expired after {Items} items; listing without paging")]
    private static partial void LogContinueExpired(ILogger logger, string type, int items);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listed {Count} {Type} in {Pages} pages at resourceVersion {ResourceVersion}")]
    private static partial void LogListed(ILogger logger, string type, int count, int pages, string? resourceVersion);
}
