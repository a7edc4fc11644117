using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation;

/// <summary>
/// Upstream's rules for a pod's <c>spec.ephemeralContainers</c> (validateEphemeralContainers and
/// ValidatePodEphemeralContainersUpdate): names unique across all the pod's containers, a <c>targetContainerName</c> that names a
/// regular or init container, only the fields of the allow list (no ports, probes, lifecycle, resources...), no subPath; none on
/// create; only additions through the <c>ephemeralcontainers</c> subresource; no change at all through the main endpoint.
/// </summary>
internal static class EphemeralContainerValidation
{
    public const string Subresource = "ephemeralcontainers";

    private const string NotAllowed = "cannot be set for an Ephemeral Container";

    /// <summary>The fields an ephemeral container may set (upstream's allowedEphemeralContainerFields, by JSON name).</summary>
    private static readonly HashSet<string> Allowed =
    [
        "name", "image", "command", "args", "workingDir", "envFrom", "env", "volumeMounts", "terminationMessagePath",
        "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty", "targetContainerName",
    ];

    /// <summary>The main endpoint's message for a forbidden pod spec change (upstream's ValidatePodUpdate, without its Go diff).</summary>
    private const string PodUpdateForbidden =
        "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

    /// <summary>Adds the causes for <paramref name="pod"/> (created when <paramref name="old"/> is null) written through <paramref name="subresource"/>.</summary>
    public static void Validate(JsonObject pod, JsonObject? old, string? subresource, List<V1StatusCause> causes)
    {
        var spec = Json.Obj(pod, "spec");
        var list = Json.Arr(spec, "ephemeralContainers");
        if (old is null)
        {
            if (list is { Count: > 0 }) causes.Add(Forbidden("spec.ephemeralContainers", "cannot be set on create"));
            return;
        }

        var oldList = Json.Arr(Json.Obj(old, "spec"), "ephemeralContainers");
        if (subresource != Subresource)
        {
            if (!JsonNode.DeepEquals(Empty(oldList), Empty(list))) causes.Add(Forbidden("spec", PodUpdateForbidden));
            return;
        }

        if (Json.Obj(Json.Obj(old, "metadata"), "annotations")?["kubernetes.io/config.mirror"] is not null)
        {
            causes.Add(Forbidden("", "static pods do not support ephemeral containers"));
            return;
        }

        Containers(spec, list, causes);
        var byName = (list ?? []).OfType<JsonObject>().GroupBy(c => Json.Str(c, "name") ?? "").ToDictionary(g => g.Key, g => g.First());
        foreach (var before in (oldList ?? []).OfType<JsonObject>())
        {
            var name = Json.Str(before, "name") ?? "";
            if (!byName.TryGetValue(name, out var now))
                causes.Add(Forbidden("spec.ephemeralContainers", $"existing ephemeral containers \"{name}\" may not be removed"));
            else if (!JsonNode.DeepEquals(before, now))
                causes.Add(Forbidden("spec.ephemeralContainers", $"existing ephemeral containers \"{name}\" may not be changed"));
        }
    }

    /// <summary>Each ephemeral container on its own and against the pod's other containers.</summary>
    private static void Containers(JsonObject? spec, JsonArray? list, List<V1StatusCause> causes)
    {
        if (list is null) return;
        var others = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in new[] { "containers", "initContainers" })
        {
            foreach (var c in Json.Arr(spec, key)?.OfType<JsonObject>() ?? [])
                others.Add(Json.Str(c, "name") ?? "");
        }

        var all = new HashSet<string>(others, StringComparer.Ordinal);
        var volumes = new HashSet<string>((Json.Arr(spec, "volumes")?.OfType<JsonObject>() ?? []).Select(v => Json.Str(v, "name") ?? ""), StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var path = $"spec.ephemeralContainers[{i}]";
            if (list[i] is not JsonObject c)
            {
                causes.Add(Errors.Required(path));
                continue;
            }

            var name = Json.Str(c, "name");
            if (string.IsNullOrEmpty(name)) causes.Add(Errors.Required($"{path}.name"));
            else if (!ObjectValidator.IsDnsLabel(name)) causes.Add(Errors.InvalidValue($"{path}.name", name, ObjectValidator.DnsLabelMessage));
            else if (!all.Add(name)) causes.Add(new V1StatusCause { Reason = "FieldValueDuplicate", Field = $"{path}.name", Message = $"Duplicate value: \"{name}\"" });

            if (string.IsNullOrWhiteSpace(Json.Str(c, "image"))) causes.Add(Errors.Required($"{path}.image"));
            if (Json.Str(c, "targetContainerName") is { Length: > 0 } target && !others.Contains(target))
                causes.Add(new V1StatusCause { Reason = "FieldValueNotFound", Field = $"{path}.targetContainerName", Message = $"Not found: \"{target}\"" });

            foreach (var (field, value) in c)
            {
                if (!Allowed.Contains(field) && IsSet(value)) causes.Add(Forbidden($"{path}.{field}", NotAllowed));
            }

            var mounts = Json.Arr(c, "volumeMounts")?.OfType<JsonObject>().ToList() ?? [];
            for (var m = 0; m < mounts.Count; m++)
            {
                var mountPath = $"{path}.volumeMounts[{m}]";
                if (Json.Str(mounts[m], "name") is { } volume && !volumes.Contains(volume))
                    causes.Add(new V1StatusCause { Reason = "FieldValueNotFound", Field = $"{mountPath}.name", Message = $"Not found: \"{volume}\"" });
                foreach (var sub in new[] { "subPath", "subPathExpr" })
                {
                    if (!string.IsNullOrEmpty(Json.Str(mounts[m], sub))) causes.Add(Forbidden($"{mountPath}.{sub}", NotAllowed));
                }
            }
        }
    }

    /// <summary>Go's "non-zero": present and not null, false, 0, "" or an empty object or list (a defaulted <c>resources: {}</c> is unset).</summary>
    private static bool IsSet(JsonNode? value) => value switch
    {
        null => false,
        JsonObject o => o.Any(kv => IsSet(kv.Value)),
        JsonArray a => a.Count > 0,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length > 0,
        JsonValue v when v.TryGetValue<double>(out var d) => d != 0,
        _ => true,
    };

    private static JsonArray Empty(JsonArray? list) => list ?? [];

    private static V1StatusCause Forbidden(string field, string detail) =>
        new() { Reason = "FieldValueForbidden", Field = field, Message = $"Forbidden: {detail}" };
}
