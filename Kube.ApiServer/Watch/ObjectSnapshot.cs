using System.Text;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Kube.Core.Client;

namespace Kube.ApiServer.Watch;

/// <summary>
/// An immutable object as served: shared by every watcher, so it is serialized at most once, and framed as a watch event
/// (<c>{"type":...,"object":...}</c> and a newline) at most once per event type.
/// Nobody may mutate <see cref="Object"/>. In-process watchers share one typed copy too (<see cref="As{T}"/>).
/// </summary>
internal sealed class ObjectSnapshot(JsonObject obj)
{
    private byte[]? _json;
    private byte[]?[]? _frames;
    private object? _typed;

    public JsonObject Object { get; } = obj;

    public byte[] Json => _json ??= Registry.Json.ToUtf8(Object);

    /// <summary>
    /// The object as a <typeparamref name="T"/>, deserialized once and then the same instance for every in-process watcher
    /// of this event (the scheduler's, each controller's and the node agent's informers): what informers hand out is
    /// read-only, as in client-go, and a consumer copies before it changes anything. A snapshot asked for two types
    /// keeps the first and deserializes the second per call.
    /// </summary>
    public T As<T>() where T : class
    {
        if (Volatile.Read(ref _typed) is { } cached && cached.GetType() == typeof(T)) return (T)cached;
        var value = Registry.Json.FromUtf8<T>(Json);
        var first = Interlocked.CompareExchange(ref _typed, value, null);
        return first is not null && first.GetType() == typeof(T) ? (T)first : value;
    }

    /// <summary>The newline-terminated watch event line for this object as a <paramref name="type"/> event (built once, then shared by every watcher).</summary>
    public byte[] Frame(WatchEventType type)
    {
        var frames = _frames ??= new byte[]?[5];
        var index = (int)type;
        if ((uint)index >= (uint)frames.Length) return BuildFrame(type, Json);
        return frames[index] ??= BuildFrame(type, Json);
    }

    public static byte[] BuildFrame(WatchEventType type, byte[] objectJson)
    {
        var head = Encoding.UTF8.GetBytes($"{{\"type\":\"{TypeName(type)}\",\"object\":");
        var buffer = new byte[head.Length + objectJson.Length + 2];
        head.CopyTo(buffer, 0);
        objectJson.CopyTo(buffer, head.Length);
        buffer[^2] = (byte)'}';
        buffer[^1] = (byte)'\n';
        return buffer;
    }

    public static string TypeName(WatchEventType t) => t switch
    {
        WatchEventType.Added => "ADDED",
        WatchEventType.Modified => "MODIFIED",
        WatchEventType.Deleted => "DELETED",
        WatchEventType.Bookmark => "BOOKMARK",
        _ => "ERROR",
    };
}
