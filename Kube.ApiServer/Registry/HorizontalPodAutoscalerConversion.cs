using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.Core.Resources;

namespace Kube.ApiServer.Registry;

/// <summary>
/// HorizontalPodAutoscalers are stored as autoscaling/v2, upstream's storage version, and served as v1 too, so
/// <c>kubectl autoscale</c> (which writes v1) and the HPA controller (which reads v2) see one object.
/// <list type="bullet">
/// <item>v1 → v2: <c>targetCPUUtilizationPercentage</c> becomes a cpu Resource metric with a Utilization target;
/// <c>currentCPUUtilizationPercentage</c> a current cpu metric.</item>
/// <item>v2 → v1: the cpu Utilization metric becomes <c>targetCPUUtilizationPercentage</c>; what v1 cannot hold (other
/// metrics, behavior, conditions, other current metrics) rides in upstream's <c>autoscaling.alpha.kubernetes.io/*</c>
/// annotations, and comes back from them on the way to v2, so a v1 client's update loses nothing.</item>
/// </list>
/// </summary>
internal sealed class HorizontalPodAutoscalerConversion(ResourceType storageType) : IStorageConversion
{
    private const string MetricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics";
    private const string BehaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior";
    private const string ConditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions";
    private const string CurrentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics";
    private const string V1 = "autoscaling/v1";

    public ResourceType StorageType { get; } = storageType;

    public static bool Applies(ResourceType t) => t.Group == "autoscaling" && t.Plural == "horizontalpodautoscalers";

    public JsonObject ToStorage(JsonObject obj, ResourceType external)
    {
        var o = Json.Clone(obj);
        if (external.Version == "v1" || Json.Str(o, "apiVersion") == V1) o = V1ToV2(o);
        o["apiVersion"] = StorageType.ApiVersion;
        o["kind"] = StorageType.Kind;
        return o;
    }

    public JsonObject FromStorage(JsonObject stored, ResourceType external)
    {
        var o = Json.Clone(stored);
        if (Json.Str(o, "apiVersion") == V1) o = V1ToV2(o); // written before HPAs were stored as v2
        if (external.Version == "v1") o = V2ToV1(o);
        o["apiVersion"] = external.ApiVersion;
        o["kind"] = external.Kind;
        return o;
    }

    private static JsonObject V1ToV2(JsonObject o)
    {
        var annotations = Json.Obj(Json.Metadata(o), "annotations");
        if (Json.Obj(o, "spec") is { } spec)
        {
            var metrics = TakeArray(annotations, MetricsAnnotation) ?? [];
            if (spec.Remove("targetCPUUtilizationPercentage", out var cpu) && cpu is not null)
                metrics.Insert(0, CpuMetric("target", new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = cpu.DeepClone() }));
            if (metrics.Count > 0) spec["metrics"] = metrics;
            if (Take(annotations, BehaviorAnnotation) is { } behavior) spec["behavior"] = behavior;
        }
        if (Json.Obj(o, "status") is { } status)
        {
            var current = TakeArray(annotations, CurrentMetricsAnnotation) ?? [];
            if (status.Remove("currentCPUUtilizationPercentage", out var cpu) && cpu is not null)
                current.Insert(0, CpuMetric("current", new JsonObject { ["averageUtilization"] = cpu.DeepClone() }));
            if (current.Count > 0) status["currentMetrics"] = current;
            if (TakeArray(annotations, ConditionsAnnotation) is { } conditions) status["conditions"] = conditions;
        }
        else
        {
            foreach (var key in new[] { CurrentMetricsAnnotation, ConditionsAnnotation }) annotations?.Remove(key);
        }
        if (annotations is { Count: 0 }) Json.Metadata(o).Remove("annotations");
        return o;
    }

    private static JsonObject V2ToV1(JsonObject o)
    {
        var extra = new Dictionary<string, JsonNode>();
        if (Json.Obj(o, "spec") is { } spec)
        {
            if (spec.Remove("metrics", out var metricsNode) && metricsNode is JsonArray metrics)
            {
                var others = new JsonArray();
                var cpuFound = false;
                foreach (var m in metrics.OfType<JsonObject>())
                {
                    if (!cpuFound && IsCpuUtilization(m, "target", out var target))
                    {
                        spec["targetCPUUtilizationPercentage"] = target;
                        cpuFound = true;
                    }
                    else
                    {
                        others.Add(m.DeepClone());
                    }
                }
                if (others.Count > 0) extra[MetricsAnnotation] = others;
            }
            if (spec.Remove("behavior", out var behavior) && behavior is not null) extra[BehaviorAnnotation] = behavior;
        }
        if (Json.Obj(o, "status") is { } status)
        {
            if (status.Remove("currentMetrics", out var currentNode) && currentNode is JsonArray current)
            {
                var others = new JsonArray();
                var cpuFound = false;
                foreach (var m in current.OfType<JsonObject>())
                {
                    if (!cpuFound && IsCpuUtilization(m, "current", out var value))
                    {
                        status["currentCPUUtilizationPercentage"] = value;
                        cpuFound = true;
                    }
                    else
                    {
                        others.Add(m.DeepClone());
                    }
                }
                if (others.Count > 0) extra[CurrentMetricsAnnotation] = others;
            }
            if (status.Remove("conditions", out var conditions) && conditions is JsonArray { Count: > 0 }) extra[ConditionsAnnotation] = conditions;
        }
        if (extra.Count > 0)
        {
            var metadata = Json.Metadata(o);
            var annotations = Json.Obj(metadata, "annotations") ?? new JsonObject();
            foreach (var (key, value) in extra) annotations[key] = value.ToJsonString();
            metadata["annotations"] = annotations;
        }
        return o;
    }

    private static JsonObject CpuMetric(string field, JsonObject value) => new()
    {
        ["type"] = "Resource",
        ["resource"] = new JsonObject { ["name"] = "cpu", [field] = value },
    };

    private static bool IsCpuUtilization(JsonObject metric, string field, out long utilization)
    {
        utilization = 0;
        if (Json.Str(metric, "type") != "Resource" || Json.Obj(metric, "resource") is not { } r || Json.Str(r, "name") != "cpu") return false;
        var v = Json.Obj(r, field);
        if (field == "target" && Json.Str(v, "type") != "Utilization") return false;
        if (Json.Long(v?["averageUtilization"]) is not { } u) return false;
        utilization = u;
        return true;
    }

    private static JsonNode? Take(JsonObject? annotations, string key)
    {
        if (annotations is null || !annotations.Remove(key, out var text) || text is null) return null;
        try
        {
            return JsonNode.Parse(text.GetValue<string>());
        }
        catch (JsonException)
        {
            return null; // not ours to interpret: dropped, as upstream drops an unparsable annotation
        }
    }

    private static JsonArray? TakeArray(JsonObject? annotations, string key) => Take(annotations, key) as JsonArray;
}
