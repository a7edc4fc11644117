using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Kube.Core.Resources;

namespace Kube.ApiServer.Validation;

/// <summary>
/// Custom objects as upstream stores and serves them: written with the CRD's storage version as apiVersion, read back
/// as the version asked for, with that version's schema defaults applied on read (so a default added to a CRD shows on
/// objects stored before it). Keys do not depend on the version, so every version reads the same objects. Under the
/// "None" strategy only apiVersion changes; under "Webhook" the CRD's conversion webhook converts
/// (<see cref="CustomResourceWebhookConverter"/>) whenever the apiVersion differs, and <see cref="IsRemote"/> tells the
/// watch path to convert per watcher, outside the watch cache.
/// </summary>
internal sealed class CustomResourceConversion(ResourceType served, string storageApiVersion, JsonObject? defaults, CustomResourceWebhookConverter? webhook = null)
    : IStorageConversion
{
    public ResourceType StorageType => served;

    public bool IsRemote => webhook is not null;

    public JsonObject ToStorage(JsonObject obj, ResourceType external)
    {
        if (Json.Str(obj, "apiVersion") == storageApiVersion) return obj;
        if (webhook is not null) return webhook.Convert(obj, storageApiVersion);
        var stored = Json.Clone(obj);
        stored["apiVersion"] = storageApiVersion;
        return stored;
    }

    public JsonObject FromStorage(JsonObject stored, ResourceType external)
    {
        var obj = webhook is not null && Json.Str(stored, "apiVersion") != external.ApiVersion
            ? webhook.Convert(stored, external.ApiVersion)
            : Json.Clone(stored);
        return Served(obj, external);
    }

    public async ValueTask<JsonObject> FromStorageAsync(JsonObject stored, ResourceType external, CancellationToken ct)
    {
        var obj = webhook is not null && Json.Str(stored, "apiVersion") != external.ApiVersion
            ? await webhook.ConvertAsync(stored, external.ApiVersion, ct).ConfigureAwait(false)
            : Json.Clone(stored);
        return Served(obj, external);
    }

    private JsonObject Served(JsonObject obj, ResourceType external)
    {
        obj["apiVersion"] = external.ApiVersion;
        if (defaults is not null) CustomSchemas.ApplyDefaults(obj, defaults);
        return obj;
    }
}
