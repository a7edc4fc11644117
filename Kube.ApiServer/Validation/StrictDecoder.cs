using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Kube.Core.Resources;

namespace Kube.ApiServer.Validation;

/// <summary>
/// Finds fields the model type does not know: deserialize into the <c>k8s.Models</c> type, serialize back,
/// and report every input path that vanished. A value of the wrong type is a 400 BadRequest.
/// </summary>
internal static class StrictDecoder
{
    /// <summary>Only checks that <paramref name="obj"/> decodes into the model type (400 BadRequest otherwise).</summary>
    public static void TypeCheck(ResourceType t, JsonObject obj)
    {
        if (t.ClrType is null) return;
        try
        {
            obj.Deserialize(t.ClrType, Json.Options);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            throw Errors.BadRequest($"error decoding the request body into {t.Kind}: {e.Message}");
        }
    }

    public static List<string> UnknownFields(ResourceType t, JsonObject obj)
    {
        var unknown = new List<string>();
        if (t.ClrType is null) return unknown;
        JsonNode? roundTrip;
        try
        {
            var typed = obj.Deserialize(t.ClrType, Json.Options);
            roundTrip = typed is null ? null : JsonSerializer.SerializeToNode(typed, t.ClrType, Json.Options);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            throw Errors.BadRequest($"error decoding the request body into {t.Kind}: {e.Message}");
        }
        Compare(obj, roundTrip, "", unknown);
        return unknown;
    }

    private static void Compare(JsonNode? input, JsonNode? output, string path, List<string> unknown)
    {
        switch (input)
        {
            case JsonObject io:
                var oo = output as JsonObject;
                foreach (var (key, value) in io)
                {
                    if (value is null) continue;
                    var child = path.Length == 0 ? key : $"{path}.{key}";
                    if (oo is null || !oo.TryGetPropertyValue(key, out var ov))
                    {
                        // Properties the typed model drops because they are empty are not unknown.
                        if (value is JsonObject { Count: 0 } || value is JsonArray { Count: 0 }) continue;
                        if (oo is not null) unknown.Add(child);
                        continue;
                    }
                    Compare(value, ov, child, unknown);
                }
                break;
            case JsonArray ia when output is JsonArray oa:
                for (var i = 0; i < ia.Count && i < oa.Count; i++) Compare(ia[i], oa[i], $"{path}[{i}]", unknown);
                break;
        }
    }
}
