using System.Threading.Channels;

namespace Kube.Store.Mvcc;

/// <summary>
/// One watch on the state machine. While <see cref="Synced"/>, the applier pushes each matching revision into
/// <see cref="Buffer"/> (never blocking). When the buffer is full the watcher becomes unsynced and the applier skips it;
/// its reader then catches up from the revision history, like etcd's unsynced watcher group.
/// </summary>
internal sealed class Watcher
{
    public Watcher(WatchRequest request, int bufferSize)
    {
        Key = request.Key;
        RangeEnd = request.RangeEnd;
        PrevKv = request.PrevKv;
        NoPut = request.NoPut;
        NoDelete = request.NoDelete;
        Buffer = Channel.CreateBounded<WatchResponse>(new BoundedChannelOptions(bufferSize)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full; nobody ever waits to write.
        });
    }

    public byte[] Key { get; }
    public byte[]? RangeEnd { get; }
    public bool PrevKv { get; }
    public bool NoPut { get; }
    public bool NoDelete { get; }
    public Channel<WatchResponse> Buffer { get; }

    /// <summary>The next revision this watcher must deliver. Written by the applier while synced, by the reader while not.</summary>
    public long NextRevision;

    private volatile bool _synced;

    public bool Synced
    {
        get => _synced;
        set => _synced = value;
    }

    /// <summary>The events of <paramref name="record"/> this watcher wants, or null when none match.</summary>
    public List<WatchEvent>? Filter(RevisionRecord record)
    {
        List<WatchEvent>? result = null;
        foreach (var e in record.Events)
        {
            if ((e.Type == EventType.Put && NoPut) || (e.Type == EventType.Delete && NoDelete))
            {
                continue;
            }
            if (!ByteKeyComparer.InRange(e.Kv.Key, Key, RangeEnd))
            {
                continue;
            }
            result ??= new List<WatchEvent>(record.Events.Length);
            result.Add(PrevKv || e.PrevKv is null ? e : e with { PrevKv = null });
        }
        return result;
    }
}
