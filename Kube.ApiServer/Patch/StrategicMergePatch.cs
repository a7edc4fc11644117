using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Patch;

/// <summary>
/// Strategic merge patch for the built-in kinds: a JSON merge patch in which the lists upstream marks with a
/// patch-merge key are merged element by element on that key. Honours <c>$patch: delete|replace|merge</c>,
/// <c>$retainKeys</c> (ignored), <c>$deleteFromPrimitiveList/&lt;field&gt;</c> and <c>$setElementOrder/&lt;field&gt;</c> (ignored).
/// </summary>
internal static class StrategicMergePatch
{
    /// <summary>Field name → merge key, for the lists upstream merges by key (by name regardless of the parent type).</summary>
    internal static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["volumes"] = "name",
        ["env"] = "name",
        ["ports"] = "containerPort",
        ["volumeMounts"] = "mountPath",
        ["volumeDevices"] = "devicePath",
        ["conditions"] = "type",
        ["ownerReferences"] = "uid",
        ["imagePullSecrets"] = "name",
        ["hostAliases"] = "ip",
        ["tolerations"] = "key",
        ["topologySpreadConstraints"] = "topologyKey",
        ["containerStatuses"] = "name",
        ["initContainerStatuses"] = "name",
        ["ephemeralContainerStatuses"] = "name",
        ["addresses"] = "type",
        ["taints"] = "key",
        ["images"] = "names",
        ["podIPs"] = "ip",
        ["hostIPs"] = "ip",
        ["resourceClaims"] = "name",
        ["subsets"] = "",
    };

    /// <summary>Primitive lists merged as sets (upstream's patchStrategy=merge on string lists).</summary>
    internal static readonly HashSet<string> SetLists = new(StringComparer.Ordinal) { "finalizers" };

    public static JsonNode? Apply(JsonNode? target, JsonNode? patch, bool isServicePorts = false) =>
        patch is JsonObject po ? MergeObject(target as JsonObject, po, null) : patch?.DeepClone();

    private static JsonObject? MergeObject(JsonObject? target, JsonObject patch, string? parentField)
    {
        var directive = Json.Str(patch, "$patch");
        if (directive == "delete") return null;
        if (directive == "replace")
        {
            var copy = (JsonObject)patch.DeepClone();
            copy.Remove("$patch");
            return copy;
        }
        var result = target ?? new JsonObject();
        foreach (var (key, value) in patch)
        {
            if (key == "$patch" || key == "$retainKeys" || key.StartsWith("$setElementOrder/", StringComparison.Ordinal)) continue;
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (result[field] is JsonArray existingList && value is JsonArray toDelete)
                {
                    for (var i = existingList.Count - 1; i >= 0; i--)
                    {
                        if (toDelete.Any(d => JsonNode.DeepEquals(d, existingList[i]))) existingList.RemoveAt(i);
                    }
                }
                continue;
            }
            if (value is null)
            {
                result.Remove(key);
                continue;
            }
            var existing = result[key];
            switch (value)
            {
                case JsonObject vo:
                {
                    var merged = MergeObject(existing as JsonObject is { } eo ? eo : null, vo, key);
                    if (merged is null) result.Remove(key);
                    else if (!ReferenceEquals(merged, existing)) result[key] = merged;
                    break;
                }
                case JsonArray va:
                    result[key] = MergeList(existing as JsonArray, va, key, parentField);
                    break;
                default:
                    result[key] = value.DeepClone();
                    break;
            }
        }
        return result;
    }

    private static JsonArray MergeList(JsonArray? target, JsonArray patch, string field, string? parentField)
    {
        // A list-level directive: [{"$patch": "replace"}, ...] replaces the whole list.
        if (patch.OfType<JsonObject>().Any(o => Json.Str(o, "$patch") == "replace"))
            return new JsonArray(patch.Where(n => n is not JsonObject o || Json.Str(o, "$patch") != "replace").Select(n => n?.DeepClone()).ToArray());

        var key = MergeKeyFor(field, parentField);
        if (key is null || key.Length == 0)
        {
            if (SetLists.Contains(field) && target is not null)
            {
                var union = new JsonArray(target.Select(n => n?.DeepClone()).ToArray());
                foreach (var item in patch)
                {
                    if (!union.Any(u => JsonNode.DeepEquals(u, item))) union.Add(item?.DeepClone());
                }
                return union;
            }
            return (JsonArray)patch.DeepClone();
        }
        var result = target is null ? new JsonArray() : new JsonArray(target.Select(n => n?.DeepClone()).ToArray());
        foreach (var item in patch)
        {
            if (item is not JsonObject po)
            {
                result.Add(item?.DeepClone());
                continue;
            }
            var keyValue = po[key];
            var index = -1;
            for (var i = 0; i < result.Count; i++)
            {
                if (result[i] is JsonObject ro && JsonNode.DeepEquals(ro[key], keyValue))
                {
                    index = i;
                    break;
                }
            }
            var directive = Json.Str(po, "$patch");
            if (directive == "delete")
            {
                if (index >= 0) result.RemoveAt(index);
                continue;
            }
            if (index < 0)
            {
                var added = (JsonObject)po.DeepClone();
                added.Remove("$patch");
                result.Add(added);
            }
            else
            {
                var merged = MergeObject((JsonObject)result[index]!, po, field);
                if (merged is null) result.RemoveAt(index);
            }
        }
        return result;
    }

    private static string? MergeKeyFor(string field, string? parentField)
    {
        // Service ports merge on "port"; container ports on "containerPort".
        if (field == "ports" && parentField == "spec") return "port";
        return MergeKeys.TryGetValue(field, out var k) ? k : null;
    }
}
