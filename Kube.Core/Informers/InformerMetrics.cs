using System.Diagnostics.Metrics;

namespace Kube.Core.Informers;

/// <summary>An informer's instruments on a meter named <c>Kube.Core</c>, tagged with the resource type and namespace.</summary>
internal sealed class InformerMetrics : IDisposable
{
    private readonly Meter _meter;

    public InformerMetrics(string resource, string? @namespace, Func<int> cacheSize)
    {
        _meter = new Meter("Kube.Core", "1.0.0",
        [
            new KeyValuePair<string, object?>("resource", resource),
            new KeyValuePair<string, object?>("namespace", @namespace ?? ""),
        ]);
        Lists = _meter.CreateCounter<long>("kube.informer.lists", "{list}", "Complete lists (initial, and relists after 410 Gone).");
        Watches = _meter.CreateCounter<long>("kube.informer.watches", "{watch}", "Watches started.");
        Events = _meter.CreateCounter<long>("kube.informer.watch.events", "{event}", "Watch events received (bookmarks included).");
        Gone = _meter.CreateCounter<long>("kube.informer.gone", "{error}", "410 Gone answers that caused a relist.");
        Failures = _meter.CreateCounter<long>("kube.informer.failures", "{error}", "Failed lists or watches retried with backoff.");
        _meter.CreateObservableGauge("kube.informer.cache.size", cacheSize, "{object}", "Objects in the informer's cache.");
    }

    public Counter<long> Lists { get; }

    public Counter<long> Watches { get; }

    public Counter<long> Events { get; }

    public Counter<long> Gone { get; }

    public Counter<long> Failures { get; }

    public void Dispose() => _meter.Dispose();
}
