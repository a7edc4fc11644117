using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;

namespace Kube.ApiServer.Registry;

/// <summary>Helpers over <see cref="JsonObject"/> Kubernetes objects, and the KubernetesJson serializer options.</summary>
internal static class Json
{
    private static readonly Lazy<JsonSerializerOptions> LazyOptions = new(() =>
    {
        JsonSerializerOptions? captured = null;
        KubernetesJson.AddJsonOptions(o => captured = o);
        return captured ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
    });

    /// <summary>The options KubernetesJson uses, so typed round-trips match its wire format.</summary>
    public static JsonSerializerOptions Options => LazyOptions.Value;

    public static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    /// <summary>Duplicate keys are rejected while parsing (JsonObject would otherwise fail later, lazily).</summary>
    public static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 256 };

    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m) return m;
        m = new JsonObject();
        obj["metadata"] = m;
        return m;
    }

    public static string? Str(JsonNode? node)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        return null;
    }

    public static string? Str(JsonObject? obj, string prop) => obj is null ? null : Str(obj[prop]);

    public static string? Path(JsonObject? obj, params string[] path)
    {
        JsonNode? cur = obj;
        foreach (var p in path)
        {
            if (cur is not JsonObject o) return null;
            cur = o[p];
        }
        return cur switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
            JsonValue v => v.ToJsonString(),
            _ => cur.ToJsonString(),
        };
    }

    public static long? Long(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<double>(out var d)) return (long)d;
        if (v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var el)) return el;
        if (v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var sl)) return sl;
        return null;
    }

    public static JsonObject? Obj(JsonObject? obj, string prop) => obj?[prop] as JsonObject;

    public static JsonArray? Arr(JsonObject? obj, string prop) => obj?[prop] as JsonArray;

    public static JsonObject EnsureObj(JsonObject obj, string prop)
    {
        if (obj[prop] is JsonObject o) return o;
        o = new JsonObject();
        obj[prop] = o;
        return o;
    }

    public static string Name(JsonObject obj) => Str(Obj(obj, "metadata"), "name") ?? "";

    public static string? Namespace(JsonObject obj) => Str(Obj(obj, "metadata"), "namespace");

    public static JsonObject Clone(JsonObject obj) => (JsonObject)obj.DeepClone();

    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseTime(string? s) =>
        s is not null && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    public static byte[] ToUtf8(JsonNode node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer)) node.WriteTo(w);
        return buffer.WrittenSpan.ToArray();
    }

    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8)
    {
        return JsonNode.Parse(utf8, NodeOptions, DocumentOptions) as JsonObject
            ?? throw new JsonException("the body is not a JSON object");
    }

    public static JsonObject ToObject<T>(T value) where T : class =>
        JsonSerializer.SerializeToNode(value, value.GetType(), Options) as JsonObject
            ?? throw new JsonException("the value did not serialize to a JSON object");

    public static T FromUtf8<T>(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize<T>(utf8, Options) ?? throw new JsonException("null object");

    public static T FromNode<T>(JsonNode node) =>
        node.Deserialize<T>(Options) ?? throw new JsonException("null object");
}
