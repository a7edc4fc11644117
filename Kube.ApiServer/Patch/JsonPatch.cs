using System.Globalization;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Patch;

/// <summary>JSON patch, RFC 6902 (add, remove, replace, move, copy, test). Errors are 422/400 as upstream answers them.</summary>
internal static class JsonPatch
{
    public static JsonNode? Apply(JsonNode? doc, JsonArray ops)
    {
        foreach (var opNode in ops)
        {
            if (opNode is not JsonObject op) throw Errors.BadRequest("json patch operation is not an object");
            var kind = Json.Str(op, "op") ?? throw Errors.BadRequest("json patch operation has no \"op\"");
            var path = Json.Str(op, "path") ?? throw Errors.BadRequest($"json patch {kind} operation has no \"path\"");
            switch (kind)
            {
                case "add":
                    doc = Add(doc, path, Value(op));
                    break;
                case "remove":
                    doc = Remove(doc, path, out _);
                    break;
                case "replace":
                    doc = Remove(doc, path, out _);
                    doc = Add(doc, path, Value(op));
                    break;
                case "move":
                {
                    var from = Json.Str(op, "from") ?? throw Errors.BadRequest("json patch move operation has no \"from\"");
                    doc = Remove(doc, from, out var moved);
                    doc = Add(doc, path, moved);
                    break;
                }
                case "copy":
                {
                    var from = Json.Str(op, "from") ?? throw Errors.BadRequest("json patch copy operation has no \"from\"");
                    doc = Add(doc, path, Get(doc, from)?.DeepClone());
                    break;
                }
                case "test":
                    if (!JsonNode.DeepEquals(Get(doc, path), op["value"]))
                        throw Unprocessable($"testing value {path} failed");
                    break;
                default:
                    throw Errors.BadRequest($"Unexpected kind: {kind}");
            }
        }
        return doc;
    }

    private static Core.Client.KubeApiException Unprocessable(string message) =>
        Core.Client.KubeApiException.FromStatus(Core.Client.KubeApiException.NewStatus(422, "Invalid", message));

    private static JsonNode? Value(JsonObject op) =>
        op.TryGetPropertyValue("value", out var v) ? v?.DeepClone() : throw Errors.BadRequest("json patch operation has no \"value\"");

    private static List<string> Split(string path)
    {
        if (path.Length == 0) return [];
        if (path[0] != '/') throw Errors.BadRequest($"invalid JSON pointer: {path}");
        return path[1..].Split('/').Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToList();
    }

    private static JsonNode? Get(JsonNode? doc, string path)
    {
        var cur = doc;
        foreach (var seg in Split(path))
        {
            cur = cur switch
            {
                JsonObject o when o.TryGetPropertyValue(seg, out var v) => v,
                JsonArray a when int.TryParse(seg, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => throw Unprocessable($"jsonpatch: path {path} not found"),
            };
        }
        return cur;
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode? doc, string path)
    {
        var segs = Split(path);
        if (segs.Count == 0) throw Errors.BadRequest("json patch cannot operate on the root");
        var parentPath = "/" + string.Join('/', segs.Take(segs.Count - 1).Select(s => s.Replace("~", "~0").Replace("/", "~1")));
        var parent = segs.Count == 1 ? doc : Get(doc, parentPath);
        if (parent is null) throw Unprocessable($"jsonpatch: parent of {path} does not exist");
        return (parent, segs[^1]);
    }

    private static JsonNode? Add(JsonNode? doc, string path, JsonNode? value)
    {
        if (path.Length == 0) return value;
        var (parent, last) = Parent(doc, path);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a:
                if (last == "-") a.Add(value);
                else if (int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= a.Count) a.Insert(i, value);
                else throw Unprocessable($"jsonpatch: index {last} out of range for {path}");
                break;
            default:
                throw Unprocessable($"jsonpatch: cannot add at {path}");
        }
        return doc;
    }

    private static JsonNode? Remove(JsonNode? doc, string path, out JsonNode? removed)
    {
        var (parent, last) = Parent(doc, path);
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out removed):
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                break;
            default:
                throw Unprocessable($"jsonpatch remove operation does not apply: doc is missing path: \"{path}\"");
        }
        return doc;
    }
}
