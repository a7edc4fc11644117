using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Kube.Core.Resources;

namespace Kube.ApiServer.Validation;

/// <summary>
/// Custom objects as upstream's "None" conversion stores and serves them: written with the CRD's storage version as
/// apiVersion, read back as the version asked for, with that version's schema defaults applied on read (so a default
/// added to a CRD shows on objects stored before it). Keys do not depend on the version, so every version reads the
/// same objects.
/// </summary>
internal sealed class CustomResourceConversion(ResourceType served, string storageApiVersion, JsonObject? defaults) : IStorageConversion
{
    public ResourceType StorageType => served;

    public JsonObject ToStorage(JsonObject obj, ResourceType external)
    {
        if (Json.Str(obj, "apiVersion") == storageApiVersion) return obj;
        var stored = Json.Clone(obj);
        stored["apiVersion"] = storageApiVersion;
        return stored;
    }

    public JsonObject FromStorage(JsonObject stored, ResourceType external)
    {
        var obj = Json.Clone(stored);
        obj["apiVersion"] = external.ApiVersion;
        if (defaults is not null) CustomSchemas.ApplyDefaults(obj, defaults);
        return obj;
    }
}
