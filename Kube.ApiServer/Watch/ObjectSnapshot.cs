using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Watch;

/// <summary>
/// An immutable object as served: shared by every watcher, so it is serialized at most once.
/// Nobody may mutate <see cref="Object"/>.
/// </summary>
internal sealed class ObjectSnapshot(JsonObject obj)
{
    private byte[]? _json;

    public JsonObject Object { get; } = obj;

    public byte[] Json => _json ??= Registry.Json.ToUtf8(Object);
}
