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

    /// <summary>
    /// The events of <paramref name="record"/> this watcher wants (without their previous values unless it asked for them), or
    /// null when none match. When it wants every event, the array is shared: the record's own, or for watchers without prevKV
    /// <paramref name="withoutPrevKv"/>, made once per record by the first such watcher, so the watchers of a revision share
    /// one list (which nobody modifies) and the Watch service converts it once per stream.
    /// </summary>
    public IReadOnlyList<WatchEvent>? Filter(RevisionRecord record, ref WatchEvent[]? withoutPrevKv)
    {
        var events = PrevKv ? record.Events : withoutPrevKv ??= WithoutPrevKv(record.Events);
        foreach (var e in events)
        {
            if (!Wants(e))
            {
                return Wanted(events);
            }
        }
        return events.Length == 0 ? null : events;
    }

    private List<WatchEvent>? Wanted(WatchEvent[] events)
    {
        List<WatchEvent>? result = null;
        foreach (var e in events)
        {
            if (Wants(e))
            {
                (result ??= new List<WatchEvent>(events.Length)).Add(e);
            }
        }
        return result;
    }

    private bool Wants(WatchEvent e) =>
        !((e.Type == EventType.Put && NoPut) || (e.Type == EventType.Delete && NoDelete)) && ByteKeyComparer.InRange(e.Kv.Key, Key, RangeEnd);

    private static WatchEvent[] WithoutPrevKv(WatchEvent[] events)
    {
        if (Array.TrueForAll(events, e => e.PrevKv is null))
        {
            return events;
        }
        return Array.ConvertAll(events, e => e.PrevKv is null ? e : e with { PrevKv = null });
    }
}
