using Kube.ApiServer.Storage;
using Kube.Core.Client;

namespace Kube.ApiServer.Watch;

/// <summary>
/// One decoded store event. For Deleted, <see cref="Object"/> is the last state with the deletion's resourceVersion.
/// <see cref="Previous"/> (the state before, decoded on demand) drives selector transitions.
/// </summary>
internal sealed class CacheEvent(long revision, WatchEventType type, ObjectSnapshot obj, byte[]? previousValue, long previousRevision)
{
    private ObjectSnapshot? _previous;

    public long Revision { get; } = revision;

    public WatchEventType Type { get; } = type;

    public ObjectSnapshot Object { get; } = obj;

    public bool HasPrevious => previousValue is not null;

    public ObjectSnapshot? Previous =>
        previousValue is null ? null : _previous ??= new ObjectSnapshot(ObjectCodec.Decode(previousValue, previousRevision));
}
