using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Storage;

/// <summary>Stored values are the object's JSON without metadata.resourceVersion; reads set it from the mod revision.</summary>
internal static class ObjectCodec
{
    public static JsonObject Decode(byte[] value, long modRevision)
    {
        var obj = Json.ParseObject(value);
        SetResourceVersion(obj, modRevision);
        return obj;
    }

    /// <summary>Serializes <paramref name="obj"/> without its resourceVersion (the object itself is left unchanged).</summary>
    public static byte[] Encode(JsonObject obj)
    {
        var meta = obj["metadata"] as JsonObject;
        JsonNode? rv = null;
        if (meta is not null && meta.TryGetPropertyValue("resourceVersion", out rv)) meta.Remove("resourceVersion");
        try
        {
            return Json.ToUtf8(obj);
        }
        finally
        {
            if (rv is not null) meta!["resourceVersion"] = rv;
        }
    }

    /// <summary>
    /// Writes a stored value as served: its JSON with <c>metadata.resourceVersion</c> set to <paramref name="modRevision"/>, spliced into the
    /// bytes without building a JSON tree. A value without a metadata object, or that already holds a resourceVersion, is parsed and
    /// written as <see cref="Decode"/> gives it.
    /// </summary>
    public static void WriteServed(Utf8JsonWriter writer, byte[] value, long modRevision)
    {
        var at = MetadataStart(value);
        if (at < 0)
        {
            Decode(value, modRevision).WriteTo(writer);
            return;
        }
        Span<byte> rv = stackalloc byte[64];
        "\"resourceVersion\":\""u8.CopyTo(rv);
        var n = 19;
        modRevision.TryFormat(rv[n..], out var digits, provider: CultureInfo.InvariantCulture);
        n += digits;
        rv[n++] = (byte)'"';
        if (value[at + 1] != (byte)'}') rv[n++] = (byte)',';
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(value.Length + n);
        try
        {
            value.AsSpan(0, at + 1).CopyTo(buffer);
            rv[..n].CopyTo(buffer.AsSpan(at + 1));
            value.AsSpan(at + 1).CopyTo(buffer.AsSpan(at + 1 + n));
            writer.WriteRawValue(buffer.AsSpan(0, value.Length + n), skipInputValidation: true);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The index of the '{' that opens the top-level metadata object, or -1 (none, not compact, or it already has a resourceVersion).</summary>
    private static int MetadataStart(byte[] value)
    {
        try
        {
            var reader = new Utf8JsonReader(value);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return -1;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isMetadata = reader.ValueTextEquals("metadata"u8);
                if (!reader.Read()) return -1;
                if (isMetadata)
                {
                    if (reader.TokenType != JsonTokenType.StartObject) return -1;
                    var at = (int)reader.TokenStartIndex;
                    if (at + 1 >= value.Length || value[at + 1] is not ((byte)'"' or (byte)'}')) return -1;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("resourceVersion"u8)) return -1;
                        reader.Skip();
                    }
                    return at;
                }
                reader.Skip();
            }
            return -1;
        }
        catch (JsonException)
        {
            return -1;
        }
    }

    public static void SetResourceVersion(JsonObject obj, long revision) =>
        Json.Metadata(obj)["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
}
