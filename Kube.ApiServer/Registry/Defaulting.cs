using System.Text.Json.Nodes;
using Kube.Core.Resources;

namespace Kube.ApiServer.Registry;

/// <summary>Upstream's defaults for the kinds in play (a subset of pkg/apis/*/v1/defaults.go), applied on the JSON object.</summary>
internal static class Defaulting
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, (bool Spec, bool Status)> Shapes = new();

    public static void Apply(ResourceType t, JsonObject obj)
    {
        // Go serializes empty structs, so upstream objects always carry "spec": {} and "status": {}; clients rely on it.
        if (t.ClrType is { } clr)
        {
            var (spec, status) = Shapes.GetOrAdd(clr, static c => (
                c.GetProperty("Spec")?.PropertyType is { IsClass: true } sp && sp != typeof(string),
                c.GetProperty("Status")?.PropertyType is { IsClass: true } st && st != typeof(string)));
            if (spec) obj["spec"] ??= new JsonObject();
            if (status) obj["status"] ??= new JsonObject();
        }
        switch (t.Group, t.Kind)
        {
            case ("", "Pod"):
                if (obj["spec"] is JsonObject ps) PodSpec(ps);
                break;
            case ("apiextensions.k8s.io", "CustomResourceDefinition"):
                Validation.CrdValidator.Default(obj);
                break;
            case ("", "Service"):
                if (obj["spec"] is JsonObject ss) ServiceSpec(ss);
                break;
            case ("", "Secret"):
                if (string.IsNullOrEmpty(Json.Str(obj, "type"))) obj["type"] = "Opaque";
                if (obj["stringData"] is JsonObject stringData)
                {
                    var data = Json.EnsureObj(obj, "data");
                    foreach (var (k, v) in stringData)
                        data[k] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Json.Str(v) ?? ""));
                    obj.Remove("stringData");
                }
                break;
            case ("", "Namespace"):
                Json.EnsureObj(obj, "status")["phase"] ??= "Active";
                break;
            case ("apps", "Deployment"):
                if (obj["spec"] is JsonObject ds)
                {
                    ds["replicas"] ??= 1;
                    if (ds["strategy"] is not JsonObject strategy) ds["strategy"] = strategy = new JsonObject();
                    strategy["type"] ??= "RollingUpdate";
                    if (Json.Str(strategy, "type") == "RollingUpdate")
                    {
                        var ru = Json.EnsureObj(strategy, "rollingUpdate");
                        ru["maxUnavailable"] ??= "25%";
                        ru["maxSurge"] ??= "25%";
                    }
                    ds["revisionHistoryLimit"] ??= 10;
                    ds["progressDeadlineSeconds"] ??= 600;
                    Template(ds);
                }
                break;
            case ("apps", "ReplicaSet"):
            case ("apps", "StatefulSet"):
                if (obj["spec"] is JsonObject rs)
                {
                    rs["replicas"] ??= 1;
                    Template(rs);
                }
                break;
            case ("apps", "DaemonSet"):
                if (obj["spec"] is JsonObject dss) Template(dss);
                break;
            case ("batch", "Job"):
                if (obj["spec"] is JsonObject js)
                {
                    JobSpec(js);
                    JobSelector(obj, js);
                }
                break;
            case ("batch", "CronJob"):
                if (obj["spec"] is JsonObject cs)
                {
                    cs["concurrencyPolicy"] ??= "Allow";
                    cs["suspend"] ??= false;
                    cs["successfulJobsHistoryLimit"] ??= 3;
                    cs["failedJobsHistoryLimit"] ??= 1;
                    if (Json.Obj(cs, "jobTemplate")?["spec"] is JsonObject jts) JobSpec(jts);
                }
                break;
        }
    }

    /// <summary>batch/v1 JobSpec defaults (pkg/apis/batch/v1/defaults.go).</summary>
    private static void JobSpec(JsonObject spec)
    {
        if (spec["completions"] is null && spec["parallelism"] is null) spec["completions"] = 1;
        spec["parallelism"] ??= 1;
        spec["backoffLimit"] ??= 6;
        spec["completionMode"] ??= "NonIndexed";
        spec["suspend"] ??= false;
        if (spec["podFailurePolicy"] is null) spec["podReplacementPolicy"] ??= "TerminatingOrFailed";
        Template(spec);
    }

    /// <summary>
    /// Without <c>manualSelector: true</c> a Job's selector is generated from its uid, and its pod template labelled to
    /// match, as upstream's job strategy does.
    /// </summary>
    private static void JobSelector(JsonObject job, JsonObject spec)
    {
        if (spec["manualSelector"] is JsonValue mv && mv.TryGetValue<bool>(out var manual) && manual) return;
        if (spec["selector"] is JsonObject) return;
        var meta = Json.Obj(job, "metadata");
        var uid = Json.Str(meta, "uid");
        if (string.IsNullOrEmpty(uid)) return;
        var name = Json.Str(meta, "name") ?? "";
        spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["batch.kubernetes.io/controller-uid"] = uid } };
        var template = Json.EnsureObj(spec, "template");
        var labels = Json.EnsureObj(Json.EnsureObj(template, "metadata"), "labels");
        labels["batch.kubernetes.io/controller-uid"] = uid;
        labels["batch.kubernetes.io/job-name"] = name;
        labels["controller-uid"] = uid;
        labels["job-name"] = name;
    }

    private static void Template(JsonObject spec)
    {
        if (Json.Obj(spec, "template")?["spec"] is JsonObject ps) PodSpec(ps);
    }

    public static void PodSpec(JsonObject spec)
    {
        spec["restartPolicy"] ??= "Always";
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["schedulerName"] ??= "default-scheduler";
        spec["securityContext"] ??= new JsonObject();
        foreach (var list in new[] { "containers", "initContainers", "ephemeralContainers" })
        {
            if (spec[list] is not JsonArray containers) continue;
            foreach (var c in containers.OfType<JsonObject>())
            {
                c["imagePullPolicy"] ??= PullPolicyFor(Json.Str(c, "image"));
                c["terminationMessagePath"] ??= "/dev/termination-log";
                c["terminationMessagePolicy"] ??= "File";
                c["resources"] ??= new JsonObject();
                if (c["ports"] is JsonArray ports)
                {
                    foreach (var p in ports.OfType<JsonObject>()) p["protocol"] ??= "TCP";
                }
            }
        }
    }

    private static string PullPolicyFor(string? image)
    {
        if (string.IsNullOrEmpty(image)) return "IfNotPresent";
        if (image.Contains('@')) return "IfNotPresent";
        var lastSlash = image.LastIndexOf('/');
        var colon = image.IndexOf(':', lastSlash + 1);
        if (colon < 0) return "Always";
        return image[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }

    private static void ServiceSpec(JsonObject spec)
    {
        spec["type"] ??= "ClusterIP";
        spec["sessionAffinity"] ??= "None";
        if (Json.Str(spec, "type") is "ClusterIP" or "NodePort" or "LoadBalancer") spec["internalTrafficPolicy"] ??= "Cluster";
        if (spec["ports"] is JsonArray ports)
        {
            foreach (var p in ports.OfType<JsonObject>())
            {
                p["protocol"] ??= "TCP";
                p["targetPort"] ??= p["port"]?.DeepClone();
            }
        }
    }
}
