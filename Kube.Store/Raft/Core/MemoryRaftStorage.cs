namespace Kube.Store.Raft.Core;

/// <summary>
/// An in-memory <see cref="IRaftStorage"/>: what the shell has made durable. The shell appends entries, sets the hard state,
/// applies received snapshots, and creates snapshots and compacts behind them.
/// </summary>
internal sealed class MemoryRaftStorage : IRaftStorage
{
    // _entries[0] is a dummy standing for the snapshot (or index 0): its Index and Term are the compaction point.
    private readonly List<RaftEntry> _entries = [new RaftEntry(0, 0, RaftEntryType.Normal, [])];
    private RaftSnapshot? _snapshot;

    /// <summary>Creates storage for a member; <paramref name="bootstrap"/> is the initial membership (empty for a member that waits to be added).</summary>
    public MemoryRaftStorage(ConfState? bootstrap = null)
    {
        ConfState = bootstrap ?? ConfState.Empty;
    }

    /// <summary>
    /// Storage for a founding member, as etcd bootstraps: the log starts with one committed AddNode entry per initial voter
    /// (term 1), so that members that join later learn the founders by replaying the log. Start the node with Applied 0.
    /// </summary>
    public static MemoryRaftStorage Bootstrap(IReadOnlyList<ulong> voters)
    {
        var storage = new MemoryRaftStorage();
        var entries = new RaftEntry[voters.Count];
        for (var i = 0; i < voters.Count; i++)
        {
            entries[i] = new RaftEntry(1, (ulong)i + 1, RaftEntryType.ConfChange, new ConfChange(ConfChangeType.AddNode, voters[i]).Encode());
        }
        storage.Append(entries);
        storage.SetHardState(new HardState(1, 0, (ulong)voters.Count));
        return storage;
    }

    public HardState HardState { get; private set; }

    public ConfState ConfState { get; private set; }

    public ulong FirstIndex => _entries[0].Index + 1;

    public ulong LastIndex => _entries[0].Index + (ulong)_entries.Count - 1;

    public int Count => _entries.Count - 1;

    public void SetHardState(HardState state) => HardState = state;

    public bool TryTerm(ulong index, out ulong term)
    {
        var offset = _entries[0].Index;
        if (index < offset || index - offset >= (ulong)_entries.Count)
        {
            term = 0;
            return false;
        }
        term = _entries[(int)(index - offset)].Term;
        return true;
    }

    public IReadOnlyList<RaftEntry>? Entries(ulong lo, ulong hi, ulong maxSize)
    {
        var offset = _entries[0].Index;
        if (lo <= offset)
        {
            return null;
        }
        if (hi > LastIndex + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(hi), $"Entries up to {hi - 1} requested; the last is {LastIndex}.");
        }
        var result = new List<RaftEntry>((int)Math.Min(hi - lo, 1024)); // sized up front: no growing copies per Ready
        ulong size = 0;
        for (var i = lo; i < hi; i++)
        {
            var e = _entries[(int)(i - offset)];
            size += e.Size;
            if (result.Count > 0 && size > maxSize)
            {
                break;
            }
            result.Add(e);
        }
        return result;
    }

    public RaftSnapshot? Snapshot() => _snapshot;

    /// <summary>Appends entries; an entry at an index that exists replaces it and everything after it.</summary>
    public void Append(IReadOnlyList<RaftEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }
        var first = FirstIndex;
        var skip = 0;
        while (skip < entries.Count && entries[skip].Index < first)
        {
            skip++;
        }
        if (skip == entries.Count)
        {
            return;
        }
        var start = entries[skip].Index;
        if (start > LastIndex + 1)
        {
            throw new InvalidOperationException($"Appending at {start} leaves a gap after {LastIndex}.");
        }
        var keep = (int)(start - _entries[0].Index);
        _entries.RemoveRange(keep, _entries.Count - keep);
        for (var i = skip; i < entries.Count; i++)
        {
            _entries.Add(entries[i]);
        }
    }

    /// <summary>Replaces the log with a received snapshot. Returns false for a snapshot older than the current one.</summary>
    public bool ApplySnapshot(RaftSnapshot snapshot)
    {
        if (_snapshot is not null && snapshot.Index <= _snapshot.Index)
        {
            return false;
        }
        _snapshot = snapshot;
        ConfState = snapshot.ConfState;
        _entries.Clear();
        _entries.Add(new RaftEntry(snapshot.Term, snapshot.Index, RaftEntryType.Normal, []));
        return true;
    }

    /// <summary>Records a snapshot of the state machine at <paramref name="index"/> (applied, so in the log) and the membership then.</summary>
    public RaftSnapshot CreateSnapshot(ulong index, ConfState confState, byte[] data)
    {
        if (_snapshot is not null && index <= _snapshot.Index)
        {
            return _snapshot;
        }
        if (!TryTerm(index, out var term))
        {
            throw new InvalidOperationException($"Cannot snapshot at {index}: the log holds {FirstIndex}..{LastIndex}.");
        }
        _snapshot = new RaftSnapshot(index, term, confState, data);
        ConfState = confState;
        return _snapshot;
    }

    /// <summary>Discards entries up to and including <paramref name="index"/> (which a snapshot must cover).</summary>
    public void Compact(ulong index)
    {
        var offset = _entries[0].Index;
        if (index <= offset)
        {
            return;
        }
        if (index > LastIndex)
        {
            throw new InvalidOperationException($"Cannot compact to {index}: the last index is {LastIndex}.");
        }
        var e = _entries[(int)(index - offset)];
        _entries.RemoveRange(0, (int)(index - offset));
        _entries[0] = new RaftEntry(e.Term, e.Index, RaftEntryType.Normal, []);
    }
}
