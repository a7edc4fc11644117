using System.Globalization;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Tables;

/// <summary>The table columns of Jobs, CronJobs and HorizontalPodAutoscalers, as kubectl 1.32 users know them.</summary>
internal sealed partial class TableConvertor
{
    private static readonly List<Column> JobColumns =
    [
        NameColumn,
        new("Status", "string", "Status of the job."),
        new("Completions", "string", "The completion status of the job."),
        new("Duration", "string", "Time required to complete the job."),
        AgeColumn,
        new("Containers", "string", "Names of each container in the template.", 1),
        new("Images", "string", "Images referenced by each container in the template.", 1),
        new("Selector", "string", "Selector is a label query over pods that should match the pod count.", 1),
    ];

    private static readonly List<Column> CronJobColumns =
    [
        NameColumn,
        new("Schedule", "string", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
        new("Timezone", "string", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
        new("Suspend", "boolean", "This flag tells the controller to suspend subsequent executions."),
        new("Active", "integer", "A list of pointers to currently running jobs."),
        new("Last Schedule", "string", "Information when was the last time the job was successfully scheduled."),
        AgeColumn,
        new("Containers", "string", "Names of each container in the template.", 1),
        new("Images", "string", "Images referenced by each container in the template.", 1),
        new("Selector", "string", "Selector is a label query over pods that should match the pod count.", 1),
    ];

    private static readonly List<Column> HpaColumns =
    [
        NameColumn,
        new("Reference", "string", "reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource."),
        new("Targets", "string", "metrics contains the specifications for which to use to calculate the desired replica count."),
        new("MinPods", "string", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."),
        new("MaxPods", "integer", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up."),
        new("Replicas", "integer", "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler."),
        AgeColumn,
    ];

    private static bool HasCondition(JsonObject? status, string type) =>
        Json.Arr(status, "conditions")?.OfType<JsonObject>().Any(c => Json.Str(c, "type") == type && Json.Str(c, "status") == "True") ?? false;

    private IEnumerable<JsonNode?> JobCells(JsonObject obj, string name, JsonObject? spec, JsonObject? status)
    {
        var state = HasCondition(status, "Complete") ? "Complete"
            : HasCondition(status, "Failed") ? "Failed"
            : Json.Path(obj, "metadata", "deletionTimestamp") is not null ? "Terminating"
            : HasCondition(status, "Suspended") ? "Suspended"
            : HasCondition(status, "FailureTarget") ? "FailureTarget"
            : HasCondition(status, "SuccessCriteriaMet") ? "SuccessCriteriaMet"
            : "Running";
        var succeeded = Json.Long(status?["succeeded"]) ?? 0;
        var parallelism = Json.Long(spec?["parallelism"]) ?? 0;
        var completions = Json.Long(spec?["completions"]) is { } c ? $"{succeeded}/{c}"
            : parallelism > 1 ? $"{succeeded}/1 of {parallelism}"
            : $"{succeeded}/1";
        var start = Json.ParseTime(Json.Str(status, "startTime"));
        var end = Json.ParseTime(Json.Str(status, "completionTime"));
        var duration = start is null ? "" : HumanDuration.Format((end ?? time.GetUtcNow()) - start.Value);
        var (containers, images) = TemplateContainers(spec);
        return [name, state, completions, duration, Age(obj), containers, images, SelectorText(Json.Obj(spec, "selector"))];
    }

    private IEnumerable<JsonNode?> CronJobCells(JsonObject obj, string name, JsonObject? spec, JsonObject? status)
    {
        var last = Json.ParseTime(Json.Str(status, "lastScheduleTime"));
        var jobSpec = Json.Obj(Json.Obj(spec, "jobTemplate"), "spec");
        var (containers, images) = TemplateContainers(jobSpec);
        return [name, Json.Str(spec, "schedule") ?? "", Json.Str(spec, "timeZone") ?? "<none>",
            spec?["suspend"] is JsonValue v && v.TryGetValue<bool>(out var suspended) && suspended ? "True" : "False",
            Json.Arr(status, "active")?.Count ?? 0,
            last is null ? "<none>" : HumanDuration.Format(time.GetUtcNow() - last.Value),
            Age(obj), containers, images, SelectorText(Json.Obj(jobSpec, "selector"))];
    }

    private IEnumerable<JsonNode?> HpaCells(JsonObject obj, string name, JsonObject? spec, JsonObject? status)
    {
        var target = Json.Obj(spec, "scaleTargetRef");
        var reference = $"{Json.Str(target, "kind")}/{Json.Str(target, "name")}";
        var min = Json.Long(spec?["minReplicas"]) is { } m ? m.ToString(CultureInfo.InvariantCulture) : "<unset>";
        return [name, reference, HpaTargets(spec, status), min, Json.Long(spec?["maxReplicas"]) ?? 0, Json.Long(status?["currentReplicas"]) ?? 0, Age(obj)];
    }

    /// <summary>kubectl's TARGETS cell: "cpu: 30%/60%" per resource metric, "&lt;unknown&gt;" before the first reading.</summary>
    private static string HpaTargets(JsonObject? spec, JsonObject? status)
    {
        if (spec?["targetCPUUtilizationPercentage"] is not null) // autoscaling/v1
        {
            var current = Json.Long(status?["currentCPUUtilizationPercentage"]) is { } cur ? $"{cur}%" : "<unknown>";
            return $"cpu: {current}/{Json.Long(spec["targetCPUUtilizationPercentage"])}%";
        }
        var metrics = Json.Arr(spec, "metrics")?.OfType<JsonObject>().ToList() ?? [];
        if (metrics.Count == 0) return "<none>";
        var currents = Json.Arr(status, "currentMetrics")?.OfType<JsonObject>().ToList() ?? [];
        var parts = new List<string>();
        foreach (var metric in metrics)
        {
            var type = Json.Str(metric, "type");
            var source = Json.Obj(metric, type switch { "Resource" => "resource", "ContainerResource" => "containerResource", "Pods" => "pods", "Object" => "object", _ => "external" });
            var goal = Json.Obj(source, "target");
            var resourceName = Json.Str(source, "name") ?? Json.Str(Json.Obj(source, "metric"), "name") ?? "";
            var current = currents.FirstOrDefault(c => Json.Str(c, "type") == type
                && (Json.Str(Json.Obj(c, "resource") ?? Json.Obj(c, "containerResource"), "name") == resourceName
                    || Json.Str(Json.Obj(Json.Obj(c, "pods") ?? Json.Obj(c, "object") ?? Json.Obj(c, "external"), "metric"), "name") == resourceName));
            var currentValue = Json.Obj(Json.Obj(current, type switch { "Resource" => "resource", "ContainerResource" => "containerResource", "Pods" => "pods", "Object" => "object", _ => "external" }), "current");
            string now, want;
            if (Json.Long(goal?["averageUtilization"]) is { } utilization)
            {
                now = Json.Long(currentValue?["averageUtilization"]) is { } u ? $"{u}%" : "<unknown>";
                want = $"{utilization}%";
            }
            else
            {
                var key = goal?["averageValue"] is not null ? "averageValue" : "value";
                now = Json.Str(currentValue, key) ?? "<unknown>";
                want = Json.Str(goal, key) ?? "<auto>";
            }
            parts.Add($"{resourceName}: {now}/{want}");
            if (parts.Count == 4) break;
        }
        return metrics.Count > 4 ? $"{string.Join(", ", parts)} + {metrics.Count - 4} more..." : string.Join(", ", parts);
    }
}
