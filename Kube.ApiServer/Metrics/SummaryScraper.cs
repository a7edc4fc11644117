using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Microsoft.Extensions.Logging;

namespace Kube.ApiServer.Metrics;

/// <summary>
/// Reads each node's kubelet <c>GET /stats/summary</c> (upstream's Summary API JSON) the way metrics-server does:
/// CPU is <c>usageNanoCores</c> when the kubelet gives it, otherwise the rate between two readings of the cumulative
/// <c>usageCoreNanoSeconds</c>; memory is <c>workingSetBytes</c>. A reading is reused for <c>cacheFor</c>, so a burst of
/// <c>kubectl top</c> calls scrapes a node once; a node that does not answer within <c>timeout</c> has no metrics.
/// </summary>
internal sealed class SummaryScraper(Proxy.KubeletClient kubeletClient, TimeProvider time, TimeSpan timeout, TimeSpan cacheFor, ILogger logger)
{
    private const int MaxSummaryBytes = 16 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, (DateTimeOffset At, Task<NodeSummary?> Summary)> _cache = new(StringComparer.Ordinal);

    /// <summary>The last cumulative CPU reading per node or container, for the rate when usageNanoCores is absent.</summary>
    private readonly ConcurrentDictionary<string, (ulong CoreNanoSeconds, DateTimeOffset Time)> _cumulative = new(StringComparer.Ordinal);

    public Task<NodeSummary?> GetAsync(string nodeName, Uri kubelet, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(nodeName, out var cached) && now - cached.At < cacheFor && !cached.Summary.IsFaulted) return cached.Summary;
        var fetch = FetchAsync(nodeName, kubelet);
        _cache[nodeName] = (now, fetch);
        return fetch.WaitAsync(ct);
    }

    private async Task<NodeSummary?> FetchAsync(string nodeName, Uri kubelet)
    {
        using var cts = new CancellationTokenSource(timeout, time);
        try
        {
            using var response = await kubeletClient.Http.GetAsync(new Uri(kubeletClient.Rebase(kubelet), "stats/summary"), HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogDebug("Node {Node} answered {Code} for /stats/summary", nodeName, (int)response.StatusCode);
                return null;
            }
            if (response.Content.Headers.ContentLength > MaxSummaryBytes) return null;
            var bytes = await response.Content.ReadAsByteArrayAsync(cts.Token).ConfigureAwait(false);
            return Parse(nodeName, bytes);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or InvalidOperationException or FormatException)
        {
            logger.LogDebug("No /stats/summary from node {Node}: {Error}", nodeName, e.Message);
            return null;
        }
    }

    /// <summary>Parses a Summary document; figures that are missing (or a CPU rate not yet known) leave that entry out.</summary>
    internal NodeSummary? Parse(string nodeName, byte[] json)
    {
        if (JsonNode.Parse(json, Json.NodeOptions, Json.DocumentOptions) is not JsonObject doc) return null;
        var node = Json.Obj(doc, "node");
        var nodeUsage = Usage($"node/{nodeName}", Json.Obj(node, "cpu"), Json.Obj(node, "memory"));
        var pods = new Dictionary<(string, string), IReadOnlyList<ContainerUsageSample>>();
        foreach (var pod in Json.Arr(doc, "pods")?.OfType<JsonObject>() ?? [])
        {
            var podRef = Json.Obj(pod, "podRef");
            var ns = Json.Str(podRef, "namespace");
            var name = Json.Str(podRef, "name");
            if (string.IsNullOrEmpty(ns) || string.IsNullOrEmpty(name)) continue;
            var uid = Json.Str(podRef, "uid") ?? "";
            var containers = new List<ContainerUsageSample>();
            var complete = true;
            foreach (var c in Json.Arr(pod, "containers")?.OfType<JsonObject>() ?? [])
            {
                var cname = Json.Str(c, "name");
                if (string.IsNullOrEmpty(cname)) continue;
                var start = Json.Str(c, "startTime") ?? "";
                var usage = Usage($"pod/{ns}/{name}/{uid}/{cname}/{start}", Json.Obj(c, "cpu"), Json.Obj(c, "memory"));
                if (usage is null) complete = false;
                else containers.Add(new ContainerUsageSample(cname, usage));
            }
            // metrics-server leaves out a pod with any container it has no reading for.
            if (complete && containers.Count > 0) pods[(ns, name)] = containers;
        }
        return new NodeSummary(Json.Str(node, "nodeName") ?? nodeName, nodeUsage, pods);
    }

    private UsageSample? Usage(string key, JsonObject? cpu, JsonObject? memory)
    {
        var workingSet = ULong(memory?["workingSetBytes"]);
        if (cpu is null || workingSet is null) return null;
        var at = Time(Json.Str(cpu, "time")) ?? time.GetUtcNow();
        var nanoCores = ULong(cpu["usageNanoCores"]);
        if (ULong(cpu["usageCoreNanoSeconds"]) is { } cumulative)
        {
            if (nanoCores is null && _cumulative.TryGetValue(key, out var previous) && at > previous.Time && cumulative >= previous.CoreNanoSeconds)
            {
                var seconds = (at - previous.Time).TotalSeconds;
                nanoCores = (ulong)((cumulative - previous.CoreNanoSeconds) / seconds);
            }
            if (!_cumulative.TryGetValue(key, out var last) || at > last.Time) _cumulative[key] = (cumulative, at);
        }
        return nanoCores is null ? null : new UsageSample(nanoCores.Value, workingSet.Value, at);
    }

    private static ulong? ULong(JsonNode? n) => n is JsonValue v && v.TryGetValue<ulong>(out var u) ? u
        : n is JsonValue d && d.TryGetValue<double>(out var f) && f >= 0 ? (ulong)f
        : null;

    private static DateTimeOffset? Time(string? s) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
