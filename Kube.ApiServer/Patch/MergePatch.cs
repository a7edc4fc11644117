using System.Text.Json.Nodes;

namespace Kube.ApiServer.Patch;

/// <summary>JSON merge patch, RFC 7386.</summary>
internal static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject po) return patch?.DeepClone();
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in po)
        {
            if (value is null) result.Remove(key);
            else
            {
                var existing = result[key];
                var merged = Apply(existing, value);
                result[key] = ReferenceEquals(merged, existing) ? existing?.DeepClone() ?? merged : merged;
            }
        }
        return result;
    }
}
