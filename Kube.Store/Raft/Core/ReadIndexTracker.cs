namespace Kube.Store.Raft.Core;

/// <summary>The leader's pending ReadIndex requests, in arrival order, each waiting for a quorum of heartbeat acknowledgements.</summary>
internal sealed class ReadIndexTracker
{
    private readonly Dictionary<string, Pending> _pending = [];
    private readonly List<string> _queue = [];

    public int Count => _queue.Count;

    public static string Key(byte[] context) => Convert.ToHexString(context);

    public void Add(ulong index, RaftMessage request)
    {
        var key = Key(request.Context!);
        if (_pending.ContainsKey(key))
        {
            return;
        }
        _pending[key] = new Pending(index, request);
        _queue.Add(key);
    }

    /// <summary>Records an acknowledgement and returns who has acknowledged, or null for an unknown context.</summary>
    public HashSet<ulong>? Ack(ulong from, byte[] context)
    {
        if (!_pending.TryGetValue(Key(context), out var p))
        {
            return null;
        }
        p.Acks.Add(from);
        return p.Acks;
    }

    /// <summary>Removes and returns every request up to and including the one with <paramref name="context"/>.</summary>
    public List<(ulong Index, RaftMessage Request)> Release(byte[] context)
    {
        var key = Key(context);
        var at = _queue.IndexOf(key);
        var released = new List<(ulong, RaftMessage)>();
        if (at < 0)
        {
            return released;
        }
        for (var i = 0; i <= at; i++)
        {
            var p = _pending[_queue[i]];
            _pending.Remove(_queue[i]);
            released.Add((p.Index, p.Request));
        }
        _queue.RemoveRange(0, at + 1);
        return released;
    }

    /// <summary>The context of the newest request (heartbeats carry it; acknowledging it acknowledges all before it).</summary>
    public byte[]? LastContext => _queue.Count == 0 ? null : _pending[_queue[^1]].Request.Context;

    public void Clear()
    {
        _pending.Clear();
        _queue.Clear();
    }

    private sealed class Pending(ulong index, RaftMessage request)
    {
        public ulong Index { get; } = index;
        public RaftMessage Request { get; } = request;
        public HashSet<ulong> Acks { get; } = [];
    }
}
