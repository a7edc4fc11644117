using System.Text.Json.Nodes;
using Kube.Core.Resources;

namespace Kube.ApiServer.Registry;

/// <summary>
/// A kind that is served in a version (or group) other than the one it is stored in: writes are converted to the
/// storage form, reads and watch events back to the version the client asked for.
/// </summary>
internal interface IStorageConversion
{
    /// <summary>The type whose key prefix and form hold the objects.</summary>
    ResourceType StorageType { get; }

    /// <summary>An object of <paramref name="external"/> as stored (a new object).</summary>
    JsonObject ToStorage(JsonObject obj, ResourceType external);

    /// <summary>A stored object as <paramref name="external"/> (a new object).</summary>
    JsonObject FromStorage(JsonObject stored, ResourceType external);

    /// <summary>
    /// Whether converting calls out of the process (a CRD's conversion webhook): watch events are then converted per
    /// watcher with <see cref="FromStorageAsync"/>, not under the watch cache's lock.
    /// </summary>
    bool IsRemote => false;

    /// <summary><see cref="FromStorage"/> for callers that can wait without blocking a thread.</summary>
    ValueTask<JsonObject> FromStorageAsync(JsonObject stored, ResourceType external, CancellationToken ct) => ValueTask.FromResult(FromStorage(stored, external));
}
