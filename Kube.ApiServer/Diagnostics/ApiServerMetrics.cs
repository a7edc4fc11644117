using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kube.ApiServer.Diagnostics;

/// <summary>The <c>Kube.ApiServer</c> meter: HTTP requests by verb, resource and code, their duration, and open watches.</summary>
internal sealed class ApiServerMetrics : IDisposable
{
    public const string MeterName = "Kube.ApiServer";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _watches;

    public ApiServerMetrics(IMeterFactory? factory)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = _meter.CreateCounter<long>("kube.apiserver.requests", "{request}", "HTTP requests served, by verb, resource and status code.");
        _duration = _meter.CreateHistogram<double>("kube.apiserver.request.duration", "s", "Time to answer an HTTP request (watches: until the stream ends).");
        _watches = _meter.CreateUpDownCounter<long>("kube.apiserver.watches", "{watch}", "Watch streams open over HTTP.");
    }

    public void Request(string verb, string resource, int code, TimeSpan elapsed)
    {
        var tags = new TagList { { "verb", verb }, { "resource", resource }, { "code", code } };
        _requests.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void WatchOpened() => _watches.Add(1);

    public void WatchClosed() => _watches.Add(-1);

    public void Dispose() => _meter.Dispose();
}
