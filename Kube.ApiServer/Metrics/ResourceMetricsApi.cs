using System.Globalization;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;

namespace Kube.ApiServer.Metrics;

/// <summary>
/// <c>metrics.k8s.io/v1beta1</c> NodeMetrics and PodMetrics (what <c>kubectl top</c> reads), served in place of
/// metrics-server: the caller is authorized for the metrics resource, then nodes and pods are read from the registry
/// (with the request's label selector) and joined with each node's kubelet Summary. Objects without a reading are
/// left out of lists and are 404 by name, as metrics-server does. Read-only: get and list.
/// </summary>
internal sealed class ResourceMetricsApi(GenericRegistry registry, SummaryScraper scraper, TimeProvider time)
{
    public const string Group = "metrics.k8s.io";
    public const string Version = "v1beta1";

    public static readonly ResourceType NodeMetrics = new()
    {
        Group = Group, Version = Version, Kind = "NodeMetrics", Plural = "nodes", Namespaced = false, Verbs = ["get", "list"],
    };

    public static readonly ResourceType PodMetrics = new()
    {
        Group = Group, Version = Version, Kind = "PodMetrics", Plural = "pods", Namespaced = true, Verbs = ["get", "list"],
    };

    /// <summary>The reading's window reported to clients (metrics-server's default resolution).</summary>
    private const string Window = "15s";

    private ResourceType CoreType(string plural) => registry.Types.FindByResource("", "v1", plural) ?? throw Errors.PathNotFound(plural);

    /// <summary>GET of a metrics path: a list (with an optional label selector) or one object by name.</summary>
    public async Task<JsonObject> GetAsync(string resource, string? ns, string? name, string? labelSelector, string? fieldSelector, UserInfo user, CancellationToken ct)
    {
        var type = resource switch
        {
            "nodes" when ns is null => NodeMetrics,
            "pods" => PodMetrics,
            _ => throw Errors.PathNotFound($"/apis/{Group}/{Version}/{resource}"),
        };
        await registry.AuthorizeAsync(new RequestScope(type, ns, name, null, user), name is null ? "list" : "get", ct).ConfigureAwait(false);
        return type == NodeMetrics
            ? await NodesAsync(name, labelSelector, fieldSelector, ct).ConfigureAwait(false)
            : await PodsAsync(ns, name, labelSelector, fieldSelector, ct).ConfigureAwait(false);
    }

    private async Task<JsonObject> NodesAsync(string? name, string? labelSelector, string? fieldSelector, CancellationToken ct)
    {
        var nodeType = CoreType("nodes");
        List<JsonObject> nodes;
        if (name is not null)
        {
            try
            {
                nodes = [await registry.GetAsync(new RequestScope(nodeType, null, name, null, UserInfo.Admin), ct).ConfigureAwait(false)];
            }
            catch (KubeApiException e) when (e.Status.Code == 404)
            {
                throw Errors.NotFound("nodemetrics.metrics.k8s.io", name, Group);
            }
        }
        else
        {
            nodes = (await registry.ListAsync(new RequestScope(nodeType, null, null, null, UserInfo.Admin),
                new ListOptions { LabelSelector = labelSelector, FieldSelector = fieldSelector }, ct, authorize: false).ConfigureAwait(false)).Items;
        }
        var summaries = await SummariesAsync(nodes, ct).ConfigureAwait(false);
        var items = new List<JsonObject>();
        foreach (var node in nodes)
        {
            if (!summaries.TryGetValue(Json.Name(node), out var summary) || summary?.Node is not { } usage) continue;
            items.Add(new JsonObject
            {
                ["kind"] = "NodeMetrics",
                ["apiVersion"] = $"{Group}/{Version}",
                ["metadata"] = Metadata(node, null),
                ["timestamp"] = Json.Timestamp(usage.Time),
                ["window"] = Window,
                ["usage"] = Usage(usage),
            });
        }
        if (name is not null) return items.Count == 1 ? items[0] : throw Errors.NotFound("nodemetrics.metrics.k8s.io", name, Group);
        return List("NodeMetricsList", items);
    }

    private async Task<JsonObject> PodsAsync(string? ns, string? name, string? labelSelector, string? fieldSelector, CancellationToken ct)
    {
        var podType = CoreType("pods");
        List<JsonObject> pods;
        if (name is not null)
        {
            try
            {
                pods = [await registry.GetAsync(new RequestScope(podType, ns, name, null, UserInfo.Admin), ct).ConfigureAwait(false)];
            }
            catch (KubeApiException e) when (e.Status.Code == 404)
            {
                throw Errors.NotFound("podmetrics.metrics.k8s.io", $"{ns}/{name}", Group);
            }
        }
        else
        {
            pods = (await registry.ListAsync(new RequestScope(podType, ns, null, null, UserInfo.Admin),
                new ListOptions { LabelSelector = labelSelector, FieldSelector = fieldSelector }, ct, authorize: false).ConfigureAwait(false)).Items;
        }
        var nodeNames = pods.Select(p => Json.Path(p, "spec", "nodeName")).Where(n => !string.IsNullOrEmpty(n)).Distinct(StringComparer.Ordinal).ToList();
        var nodeType = CoreType("nodes");
        var nodes = new List<JsonObject>();
        foreach (var nodeName in nodeNames)
        {
            try
            {
                nodes.Add(await registry.GetAsync(new RequestScope(nodeType, null, nodeName, null, UserInfo.Admin), ct).ConfigureAwait(false));
            }
            catch (KubeApiException e) when (e.Status.Code == 404)
            {
            }
        }
        var summaries = await SummariesAsync(nodes, ct).ConfigureAwait(false);
        var items = new List<JsonObject>();
        foreach (var pod in pods)
        {
            var nodeName = Json.Path(pod, "spec", "nodeName");
            if (string.IsNullOrEmpty(nodeName) || !summaries.TryGetValue(nodeName, out var summary) || summary is null) continue;
            var podNs = Json.Namespace(pod) ?? "";
            if (!summary.Pods.TryGetValue((podNs, Json.Name(pod)), out var containers)) continue;
            var latest = containers.Max(c => c.Usage.Time);
            items.Add(new JsonObject
            {
                ["kind"] = "PodMetrics",
                ["apiVersion"] = $"{Group}/{Version}",
                ["metadata"] = Metadata(pod, podNs),
                ["timestamp"] = Json.Timestamp(latest),
                ["window"] = Window,
                ["containers"] = new JsonArray(containers.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["usage"] = Usage(c.Usage) }).ToArray()),
            });
        }
        if (name is not null) return items.Count == 1 ? items[0] : throw Errors.NotFound("podmetrics.metrics.k8s.io", $"{ns}/{name}", Group);
        return List("PodMetricsList", items);
    }

    private async Task<Dictionary<string, NodeSummary?>> SummariesAsync(List<JsonObject> nodes, CancellationToken ct)
    {
        var tasks = new List<(string Name, Task<NodeSummary?> Task)>();
        foreach (var node in nodes)
        {
            var uri = Proxy.KubeletProxy.KubeletUri(node);
            if (uri is null) continue;
            tasks.Add((Json.Name(node), scraper.GetAsync(Json.Name(node), uri, ct)));
        }
        await Task.WhenAll(tasks.Select(t => t.Task)).ConfigureAwait(false);
        return tasks.ToDictionary(t => t.Name, t => t.Task.Result, StringComparer.Ordinal);
    }

    private JsonObject Metadata(JsonObject source, string? ns)
    {
        var meta = new JsonObject
        {
            ["name"] = Json.Name(source),
            ["creationTimestamp"] = Json.Timestamp(time.GetUtcNow()),
        };
        if (ns is not null) meta["namespace"] = ns;
        if (Json.Obj(Json.Metadata(source), "labels") is { } labels) meta["labels"] = labels.DeepClone();
        return meta;
    }

    private static JsonObject List(string kind, List<JsonObject> items) => new()
    {
        ["kind"] = kind,
        ["apiVersion"] = $"{Group}/{Version}",
        ["metadata"] = new JsonObject(),
        ["items"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray()),
    };

    /// <summary>cpu in nanocores (<c>123456n</c>) and memory in bytes (<c>2048Ki</c> when whole KiB), as metrics-server writes them.</summary>
    private static JsonObject Usage(UsageSample u) => new()
    {
        ["cpu"] = u.NanoCores.ToString(CultureInfo.InvariantCulture) + "n",
        ["memory"] = u.WorkingSetBytes % 1024 == 0 && u.WorkingSetBytes > 0
            ? (u.WorkingSetBytes / 1024).ToString(CultureInfo.InvariantCulture) + "Ki"
            : u.WorkingSetBytes.ToString(CultureInfo.InvariantCulture),
    };
}
