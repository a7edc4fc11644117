using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Kube.Core.Resources;

namespace Kube.ApiServer.Tables;

/// <summary>
/// meta.k8s.io/v1 Table output, the columns kubectl prints per kind (priority 1 = only with -o wide).
/// Rows carry the object as PartialObjectMetadata, or whole with includeObject=Object.
/// </summary>
internal sealed partial class TableConvertor(TimeProvider time, CustomColumns customColumns)
{
    private sealed record Column(string Name, string Type, string Description, int Priority = 0, string? Format = null);

    private static readonly Column NameColumn = new("Name", "string", "Name must be unique within a namespace.", 0, "name");
    private static readonly Column AgeColumn = new("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created.");

    private List<Column> ColumnsFor(ResourceType t) =>
        customColumns.Get(t.Group, t.Version, t.Plural) is { } custom
            ? [NameColumn, .. custom.Select(c => new Column(c.Name, c.Type == "date" ? "string" : c.Type, c.Description, c.Priority))]
            : BuiltInColumnsFor(t);

    private static List<Column> BuiltInColumnsFor(ResourceType t) => (t.Group, t.Kind) switch
    {
        ("", "Pod") =>
        [
            NameColumn,
            new("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
            new("Status", "string", "The aggregate status of the containers in this pod."),
            new("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            AgeColumn,
            new("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
            new("Node", "string", "Name of the Node this pod is assigned to", 1),
            new("Nominated Node", "string", "nominatedNodeName is set when this pod preempts other pods on the node", 1),
            new("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
        ],
        ("", "Node") =>
        [
            NameColumn,
            new("Status", "string", "The status of the node"),
            new("Roles", "string", "The roles of the node"),
            AgeColumn,
            new("Version", "string", "Kubelet Version reported by the node."),
            new("Internal-IP", "string", "List of internal IPs of the node.", 1),
            new("External-IP", "string", "List of external IPs of the node.", 1),
            new("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
            new("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
            new("Container-Runtime", "string", "Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
        ],
        ("apps", "Deployment") =>
        [
            NameColumn,
            new("Ready", "string", "Number of the pod with ready state"),
            new("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            new("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            AgeColumn,
            new("Containers", "string", "Names of each container in the template.", 1),
            new("Images", "string", "Images referenced by each container in the template.", 1),
            new("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.", 1),
        ],
        ("apps", "ReplicaSet") =>
        [
            NameColumn,
            new("Desired", "integer", "Replicas is the number of desired replicas."),
            new("Current", "integer", "Replicas is the most recently observed number of replicas."),
            new("Ready", "integer", "The number of ready replicas for this replica set."),
            AgeColumn,
            new("Containers", "string", "Names of each container in the template.", 1),
            new("Images", "string", "Images referenced by each container in the template.", 1),
            new("Selector", "string", "Selector is a label query over pods that should match the replica count.", 1),
        ],
        ("", "Service") =>
        [
            NameColumn,
            new("Type", "string", "type determines how the Service is exposed."),
            new("Cluster-IP", "string", "clusterIP is the IP address of the service and is usually assigned randomly."),
            new("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            new("Port(s)", "string", "The list of ports that are exposed by this service."),
            AgeColumn,
            new("Selector", "string", "Route service traffic to pods with label keys and values matching this selector.", 1),
        ],
        ("", "Namespace") =>
        [
            NameColumn,
            new("Status", "string", "The status of the namespace"),
            AgeColumn,
        ],
        ("", "Event") =>
        [
            new("Last Seen", "string", "Time when this Event was last observed."),
            new("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future."),
            new("Reason", "string", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
            new("Object", "string", "The object that this event is about."),
            new("Message", "string", "A human-readable description of the status of this operation."),
        ],
        ("", "ConfigMap") => [NameColumn, new("Data", "integer", "Number of data entries."), AgeColumn],
        ("", "Secret") => [NameColumn, new("Type", "string", "The type of the secret."), new("Data", "integer", "Number of data entries."), AgeColumn],
        ("", "ServiceAccount") => [NameColumn, new("Secrets", "integer", "Number of secrets."), AgeColumn],
        ("apps", "StatefulSet") => [NameColumn, new("Ready", "string", "Number of the pod with ready state"), AgeColumn],
        ("apps", "DaemonSet") =>
        [
            NameColumn,
            new("Desired", "integer", "The desired number of pods."),
            new("Current", "integer", "The current number of pods."),
            new("Ready", "integer", "The number of ready pods."),
            new("Up-to-date", "integer", "The number of up-to-date pods."),
            new("Available", "integer", "The number of available pods."),
            new("Node Selector", "string", "Which nodes the pods run on."),
            AgeColumn,
        ],
        ("coordination.k8s.io", "Lease") => [NameColumn, new("Holder", "string", "The holder of the lease."), AgeColumn],
        ("batch", "Job") => JobColumns,
        ("batch", "CronJob") => CronJobColumns,
        ("autoscaling", "HorizontalPodAutoscaler") => HpaColumns,
        _ => ClusterColumnsFor(t) ?? [NameColumn, AgeColumn],
    };

    public JsonObject Table(ResourceType t, IEnumerable<JsonObject> objects, bool includeColumns, bool includeObject, string? resourceVersion, string? continueToken)
    {
        var rows = new JsonArray();
        foreach (var o in objects) rows.Add(Row(t, o, includeObject));
        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject(),
        };
        if (resourceVersion is not null) ((JsonObject)table["metadata"]!)["resourceVersion"] = resourceVersion;
        if (continueToken is not null) ((JsonObject)table["metadata"]!)["continue"] = continueToken;
        table["columnDefinitions"] = includeColumns
            ? new JsonArray(ColumnsFor(t).Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format ?? "",
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            }).ToArray())
            : null;
        table["rows"] = rows;
        return table;
    }

    private JsonObject Row(ResourceType t, JsonObject obj, bool includeObject)
    {
        var cells = new JsonArray(Cells(t, obj).ToArray());
        JsonObject rowObject;
        if (includeObject) rowObject = Json.Clone(obj);
        else
        {
            rowObject = new JsonObject
            {
                ["kind"] = "PartialObjectMetadata",
                ["apiVersion"] = "meta.k8s.io/v1",
                ["metadata"] = Json.Metadata(obj).DeepClone(),
            };
        }
        var row = new JsonObject { ["cells"] = cells, ["object"] = rowObject };
        return row;
    }

    private string Age(JsonObject obj)
    {
        var created = Json.ParseTime(Json.Path(obj, "metadata", "creationTimestamp"));
        return created is null ? "<unknown>" : HumanDuration.Format(time.GetUtcNow() - created.Value);
    }

    private IEnumerable<JsonNode?> Cells(ResourceType t, JsonObject obj)
    {
        var name = Json.Name(obj);
        var spec = Json.Obj(obj, "spec");
        var status = Json.Obj(obj, "status");
        if (customColumns.Get(t.Group, t.Version, t.Plural) is { } custom)
            return [name, .. custom.Select(c => CustomCell(obj, c))];
        switch (t.Group, t.Kind)
        {
            case ("", "Pod"):
                return PodCells(obj, name, spec, status);
            case ("", "Node"):
            {
                var info = Json.Obj(status, "nodeInfo");
                var addresses = Json.Arr(status, "addresses")?.OfType<JsonObject>().ToList() ?? [];
                string Ips(string type) => addresses.Where(a => Json.Str(a, "type") == type).Select(a => Json.Str(a, "address")).FirstOrDefault() ?? "<none>";
                var roles = (Json.Obj(Json.Metadata(obj), "labels") ?? [])
                    .Select(kv => kv.Key)
                    .Where(k => k.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal))
                    .Select(k => k["node-role.kubernetes.io/".Length..])
                    .Where(r => r.Length > 0)
                    .OrderBy(r => r, StringComparer.Ordinal).ToList();
                return [name, NodeStatus(obj, spec, status), roles.Count == 0 ? "<none>" : string.Join(",", roles), Age(obj),
                    Json.Str(info, "kubeletVersion") ?? "", Ips("InternalIP"), Ips("ExternalIP"),
                    Json.Str(info, "osImage") ?? "<unknown>", Json.Str(info, "kernelVersion") ?? "<unknown>", Json.Str(info, "containerRuntimeVersion") ?? "<unknown>"];
            }
            case ("apps", "Deployment"):
            {
                var (containers, images) = TemplateContainers(spec);
                return [name, $"{Json.Long(status?["readyReplicas"]) ?? 0}/{Json.Long(spec?["replicas"]) ?? 0}",
                    Json.Long(status?["updatedReplicas"]) ?? 0, Json.Long(status?["availableReplicas"]) ?? 0, Age(obj),
                    containers, images, SelectorText(Json.Obj(spec, "selector"))];
            }
            case ("apps", "ReplicaSet"):
            {
                var (containers, images) = TemplateContainers(spec);
                return [name, Json.Long(spec?["replicas"]) ?? 0, Json.Long(status?["replicas"]) ?? 0, Json.Long(status?["readyReplicas"]) ?? 0, Age(obj),
                    containers, images, SelectorText(Json.Obj(spec, "selector"))];
            }
            case ("", "Service"):
            {
                var type = Json.Str(spec, "type") ?? "ClusterIP";
                var clusterIp = Json.Str(spec, "clusterIP");
                var ports = Json.Arr(spec, "ports")?.OfType<JsonObject>().Select(p =>
                {
                    var port = Json.Long(p["port"]);
                    var nodePort = Json.Long(p["nodePort"]);
                    var proto = Json.Str(p, "protocol") ?? "TCP";
                    return nodePort is > 0 ? $"{port}:{nodePort}/{proto}" : $"{port}/{proto}";
                }).ToList() ?? [];
                var selector = Json.Obj(spec, "selector");
                return [name, type, string.IsNullOrEmpty(clusterIp) ? "<none>" : clusterIp, ExternalIp(type, spec, status),
                    ports.Count == 0 ? "<none>" : string.Join(",", ports), Age(obj),
                    selector is null || selector.Count == 0 ? "<none>" : string.Join(",", selector.Select(kv => $"{kv.Key}={Json.Str(kv.Value)}"))];
            }
            case ("", "Namespace"):
                return [name, Json.Str(status, "phase") ?? "Active", Age(obj)];
            case ("", "Event"):
            {
                var involved = Json.Obj(obj, "involvedObject");
                var seen = Json.ParseTime(Json.Str(obj, "lastTimestamp")) ?? Json.ParseTime(Json.Str(obj, "eventTime"))
                    ?? Json.ParseTime(Json.Path(obj, "metadata", "creationTimestamp"));
                var lastSeen = seen is null ? "<unknown>" : HumanDuration.Format(time.GetUtcNow() - seen.Value);
                var target = $"{(Json.Str(involved, "kind") ?? "").ToLowerInvariant()}/{Json.Str(involved, "name")}";
                return [lastSeen, Json.Str(obj, "type") ?? "", Json.Str(obj, "reason") ?? "", target, Json.Str(obj, "message") ?? ""];
            }
            case ("", "ConfigMap"):
                return [name, (Json.Obj(obj, "data")?.Count ?? 0) + (Json.Obj(obj, "binaryData")?.Count ?? 0), Age(obj)];
            case ("", "Secret"):
                return [name, Json.Str(obj, "type") ?? "Opaque", Json.Obj(obj, "data")?.Count ?? 0, Age(obj)];
            case ("", "ServiceAccount"):
                return [name, Json.Arr(obj, "secrets")?.Count ?? 0, Age(obj)];
            case ("apps", "StatefulSet"):
                return [name, $"{Json.Long(status?["readyReplicas"]) ?? 0}/{Json.Long(spec?["replicas"]) ?? 0}", Age(obj)];
            case ("apps", "DaemonSet"):
            {
                var selector = Json.Obj(Json.Obj(Json.Obj(spec, "template"), "spec"), "nodeSelector");
                return [name, Json.Long(status?["desiredNumberScheduled"]) ?? 0, Json.Long(status?["currentNumberScheduled"]) ?? 0,
                    Json.Long(status?["numberReady"]) ?? 0, Json.Long(status?["updatedNumberScheduled"]) ?? 0, Json.Long(status?["numberAvailable"]) ?? 0,
                    selector is null || selector.Count == 0 ? "<none>" : string.Join(",", selector.Select(kv => $"{kv.Key}={Json.Str(kv.Value)}")), Age(obj)];
            }
            case ("coordination.k8s.io", "Lease"):
                return [name, Json.Str(spec, "holderIdentity") ?? "", Age(obj)];
            case ("batch", "Job"):
                return JobCells(obj, name, spec, status);
            case ("batch", "CronJob"):
                return CronJobCells(obj, name, spec, status);
            case ("autoscaling", "HorizontalPodAutoscaler"):
                return HpaCells(obj, name, spec, status);
            default:
                return ClusterCells(t, obj, name, spec, status) ?? [name, Age(obj)];
        }
    }

    /// <summary>
    /// A custom column's cell from its JSONPath: fields (<c>.spec.size</c>), indexes (<c>.status.conditions[0].type</c>)
    /// and the filter CRDs use most (<c>.status.conditions[?(@.type=="Ready")].status</c>, first match).
    /// </summary>
    private JsonNode? CustomCell(JsonObject obj, CustomColumns.Column c)
    {
        JsonNode? cur = obj;
        var path = c.JsonPath.Trim().TrimStart('{').TrimEnd('}').TrimStart('.');
        foreach (var part in SplitPath(path))
        {
            var name = part;
            string? selector = null;
            var bracket = part.IndexOf('[');
            if (bracket >= 0 && part.EndsWith(']'))
            {
                name = part[..bracket];
                selector = part[(bracket + 1)..^1];
            }
            if (name.Length > 0) cur = (cur as JsonObject)?[name];
            if (selector is not null) cur = Select(cur as JsonArray, selector);
            if (cur is null) break;
        }
        if (cur is null) return c.Type is "integer" or "number" ? null : "<none>";
        if (c.Type == "date")
            return Json.ParseTime(Json.Str(cur)) is { } t ? HumanDuration.Format(time.GetUtcNow() - t) : Json.Str(cur) ?? "<none>";
        return cur is JsonValue ? cur.DeepClone() : cur.ToJsonString();
    }

    /// <summary>Splits a JSONPath on the dots outside brackets (a filter's value may contain dots).</summary>
    private static IEnumerable<string> SplitPath(string path)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '[') depth++;
            else if (path[i] == ']') depth--;
            else if (path[i] == '.' && depth == 0)
            {
                if (i > start) yield return path[start..i];
                start = i + 1;
            }
        }
        if (start < path.Length) yield return path[start..];
    }

    /// <summary>An index (<c>0</c>, <c>-1</c>) or a filter <c>?(@.field=="value")</c> (also <c>!=</c>) applied to an array.</summary>
    private static JsonNode? Select(JsonArray? array, string selector)
    {
        if (array is null) return null;
        if (int.TryParse(selector, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var i))
        {
            if (i < 0) i += array.Count;
            return i >= 0 && i < array.Count ? array[i] : null;
        }
        if (!selector.StartsWith("?(@.", StringComparison.Ordinal) || !selector.EndsWith(')')) return null;
        var expr = selector[4..^1];
        var negate = expr.Contains("!=", StringComparison.Ordinal);
        var parts = expr.Split(negate ? "!=" : "==", 2);
        if (parts.Length != 2) return null;
        var field = parts[0].Trim();
        var value = parts[1].Trim().Trim('"', '\'');
        return array.OfType<JsonObject>().FirstOrDefault(o => (Json.Str(o[field]) ?? o[field]?.ToJsonString()) is var v && (v == value) != negate);
    }

    private static string ExternalIp(string type, JsonObject? spec, JsonObject? status)
    {
        var external = Json.Arr(spec, "externalIPs")?.Select(Json.Str).Where(s => s is not null).ToList() ?? [];
        if (type == "LoadBalancer")
        {
            var ingress = Json.Arr(Json.Obj(status, "loadBalancer"), "ingress")?.OfType<JsonObject>()
                .Select(i => Json.Str(i, "ip") ?? Json.Str(i, "hostname")).Where(s => s is not null).ToList() ?? [];
            external.AddRange(ingress);
            return external.Count == 0 ? "<pending>" : string.Join(",", external);
        }
        if (type == "ExternalName") return Json.Str(spec, "externalName") ?? "<none>";
        return external.Count == 0 ? "<none>" : string.Join(",", external);
    }

    private static (string Containers, string Images) TemplateContainers(JsonObject? spec)
    {
        var cs = Json.Arr(Json.Obj(Json.Obj(spec, "template"), "spec"), "containers")?.OfType<JsonObject>().ToList() ?? [];
        return (string.Join(",", cs.Select(c => Json.Str(c, "name"))), string.Join(",", cs.Select(c => Json.Str(c, "image"))));
    }

    private static string SelectorText(JsonObject? selector)
    {
        if (selector is null) return "<none>";
        var parts = new List<string>();
        if (Json.Obj(selector, "matchLabels") is { } ml) parts.AddRange(ml.Select(kv => $"{kv.Key}={Json.Str(kv.Value)}"));
        if (Json.Arr(selector, "matchExpressions") is { } exprs)
        {
            foreach (var e in exprs.OfType<JsonObject>())
            {
                var values = string.Join(",", Json.Arr(e, "values")?.Select(Json.Str) ?? []);
                parts.Add(Json.Str(e, "operator") switch
                {
                    "In" => $"{Json.Str(e, "key")} in ({values})",
                    "NotIn" => $"{Json.Str(e, "key")} notin ({values})",
                    "Exists" => Json.Str(e, "key") ?? "",
                    _ => $"!{Json.Str(e, "key")}",
                });
            }
        }
        return parts.Count == 0 ? "<none>" : string.Join(",", parts);
    }

    private static string NodeStatus(JsonObject obj, JsonObject? spec, JsonObject? status)
    {
        var ready = Json.Arr(status, "conditions")?.OfType<JsonObject>().FirstOrDefault(c => Json.Str(c, "type") == "Ready");
        var s = ready is null ? "Unknown" : Json.Str(ready, "status") == "True" ? "Ready" : "NotReady";
        if (spec?["unschedulable"] is JsonValue v && v.TryGetValue<bool>(out var u) && u) s += ",SchedulingDisabled";
        return s;
    }

    private IEnumerable<JsonNode?> PodCells(JsonObject obj, string name, JsonObject? spec, JsonObject? status)
    {
        var meta = Json.Metadata(obj);
        var total = Json.Arr(spec, "containers")?.Count ?? 0;
        var ready = 0;
        long restarts = 0;
        var reason = Json.Str(status, "phase") ?? "Pending";
        if (Json.Str(status, "reason") is { Length: > 0 } r) reason = r;

        var initializing = false;
        var initStatuses = Json.Arr(status, "initContainerStatuses")?.OfType<JsonObject>().ToList() ?? [];
        var initCount = Json.Arr(spec, "initContainers")?.Count ?? 0;
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var cs = initStatuses[i];
            restarts += Json.Long(cs["restartCount"]) ?? 0;
            var st = Json.Obj(cs, "state");
            var term = Json.Obj(st, "terminated");
            var waiting = Json.Obj(st, "waiting");
            if (term is not null && (Json.Long(term["exitCode"]) ?? 0) == 0) continue;
            if (term is not null)
            {
                reason = Json.Str(term, "reason") is { Length: > 0 } tr ? "Init:" + tr : $"Init:ExitCode:{Json.Long(term["exitCode"])}";
            }
            else if (waiting is not null && Json.Str(waiting, "reason") is { Length: > 0 } wr && wr != "PodInitializing")
            {
                reason = "Init:" + wr;
            }
            else
            {
                reason = $"Init:{i}/{initCount}";
            }
            initializing = true;
            break;
        }

        if (!initializing)
        {
            var hasRunning = false;
            var statuses = Json.Arr(status, "containerStatuses")?.OfType<JsonObject>().ToList() ?? [];
            for (var i = statuses.Count - 1; i >= 0; i--)
            {
                var cs = statuses[i];
                restarts += Json.Long(cs["restartCount"]) ?? 0;
                var st = Json.Obj(cs, "state");
                var waiting = Json.Obj(st, "waiting");
                var term = Json.Obj(st, "terminated");
                if (waiting is not null && Json.Str(waiting, "reason") is { Length: > 0 } wr) reason = wr;
                else if (term is not null && Json.Str(term, "reason") is { Length: > 0 } tr) reason = tr;
                else if (term is not null)
                {
                    var signal = Json.Long(term["signal"]) ?? 0;
                    reason = signal != 0 ? $"Signal:{signal}" : $"ExitCode:{Json.Long(term["exitCode"]) ?? 0}";
                }
                else if (Json.Obj(st, "running") is not null && cs["ready"] is JsonValue rv && rv.TryGetValue<bool>(out var isReady) && isReady)
                {
                    hasRunning = true;
                    ready++;
                }
                else if (Json.Obj(st, "running") is not null)
                {
                    hasRunning = true;
                }
            }
            if (reason == "Completed" && hasRunning)
            {
                var podReady = Json.Arr(status, "conditions")?.OfType<JsonObject>().Any(c => Json.Str(c, "type") == "Ready" && Json.Str(c, "status") == "True") ?? false;
                reason = podReady ? "Running" : "NotReady";
            }
        }

        if (meta["deletionTimestamp"] is not null)
            reason = Json.Str(status, "reason") == "NodeLost" ? "Unknown" : "Terminating";

        var podIp = Json.Str(status, "podIP");
        var node = Json.Str(spec, "nodeName");
        var nominated = Json.Str(status, "nominatedNodeName");
        var gates = Json.Arr(spec, "readinessGates");
        var gatesText = "<none>";
        if (gates is { Count: > 0 })
        {
            var conds = Json.Arr(status, "conditions")?.OfType<JsonObject>().ToList() ?? [];
            var trueCount = gates.OfType<JsonObject>().Count(g => conds.Any(c => Json.Str(c, "type") == Json.Str(g, "conditionType") && Json.Str(c, "status") == "True"));
            gatesText = $"{trueCount}/{gates.Count}";
        }
        return [name, $"{ready}/{total}", reason, restarts.ToString(System.Globalization.CultureInfo.InvariantCulture), Age(obj),
            string.IsNullOrEmpty(podIp) ? "<none>" : podIp, string.IsNullOrEmpty(node) ? "<none>" : node,
            string.IsNullOrEmpty(nominated) ? "<none>" : nominated, gatesText];
    }
}
