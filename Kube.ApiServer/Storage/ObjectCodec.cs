using System.Globalization;
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

    public static void SetResourceVersion(JsonObject obj, long revision) =>
        Json.Metadata(obj)["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
}
