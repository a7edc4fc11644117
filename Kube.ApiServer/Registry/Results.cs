using System.Text.Json.Nodes;

namespace Kube.ApiServer.Registry;

/// <summary>A page of a list: matching objects, the revision read at, and the continue token.</summary>
internal sealed record ListResult(List<JsonObject> Items, long Revision, string? Continue);

/// <summary>The stored (or, for dry runs, would-be) object of a write, with the warnings for the client.</summary>
internal sealed record WriteResult(JsonObject Object, IReadOnlyList<string> Warnings, bool Created)
{
    /// <summary>
    /// The bytes just written and their revision, when they are <see cref="Object"/> as served (no storage conversion), so
    /// the response is these bytes with the resourceVersion spliced in rather than <see cref="Object"/> serialized again.
    /// </summary>
    public Storage.StoredObject? Stored { get; init; }
}

/// <summary>The object a delete touched; <see cref="Remains"/> when it still exists (finalizers or graceful deletion).</summary>
internal sealed record DeleteResult(JsonObject Object, bool Remains);
