namespace Kube.Store.Raft.Core;

/// <summary>
/// The log as the core sees it: the stable part in <see cref="IRaftStorage"/> followed by an unstable part (entries and
/// possibly a snapshot handed out in a Ready but not yet reported persisted). Tracks the commit and applied indexes.
/// </summary>
internal sealed class RaftLog
{
    private readonly IRaftStorage _storage;
    private List<RaftEntry> _unstable = [];
    private ulong _offset;

    public RaftLog(IRaftStorage storage, ulong applied)
    {
        _storage = storage;
        _offset = storage.LastIndex + 1;
        Committed = storage.FirstIndex - 1;
        Applied = Math.Max(applied, storage.FirstIndex - 1);
    }

    public ulong Committed { get; private set; }

    public ulong Applied { get; private set; }

    public RaftSnapshot? UnstableSnapshot { get; private set; }

    public IReadOnlyList<RaftEntry> UnstableEntries => _unstable;

    public ulong FirstIndex => UnstableSnapshot is { } s ? s.Index + 1 : _storage.FirstIndex;

    public ulong LastIndex => _unstable.Count > 0 ? _offset + (ulong)_unstable.Count - 1
        : UnstableSnapshot is { } s ? s.Index : _storage.LastIndex;

    public ulong LastTerm => Term(LastIndex);

    /// <summary>The last index that is durable and still part of this log (what a leader may count for itself).</summary>
    public ulong PersistedIndex => UnstableSnapshot is not null ? 0 : Math.Min(_storage.LastIndex, _offset - 1);

    /// <summary>The term at <paramref name="index"/>, 0 when it is compacted or beyond the end.</summary>
    public ulong Term(ulong index) => TryTerm(index, out var t) ? t : 0;

    public bool TryTerm(ulong index, out ulong term)
    {
        if (index < FirstIndex - 1 || index > LastIndex)
        {
            term = 0;
            return false;
        }
        if (_unstable.Count > 0 && index >= _offset)
        {
            term = _unstable[(int)(index - _offset)].Term;
            return true;
        }
        if (UnstableSnapshot is { } s && index == s.Index)
        {
            term = s.Term;
            return true;
        }
        return _storage.TryTerm(index, out term);
    }

    public bool MatchTerm(ulong index, ulong term) => TryTerm(index, out var t) && t == term;

    public bool IsUpToDate(ulong lastIndex, ulong term) => term > LastTerm || (term == LastTerm && lastIndex >= LastIndex);

    /// <summary>The follower side of an append: returns the last new index, or null when the entry before them does not match.</summary>
    public ulong? MaybeAppend(ulong index, ulong logTerm, ulong committed, RaftEntry[] entries)
    {
        if (!MatchTerm(index, logTerm))
        {
            return null;
        }
        var lastNew = index + (ulong)entries.Length;
        var conflict = FindConflict(entries);
        if (conflict != 0)
        {
            if (conflict <= Committed)
            {
                throw new InvalidOperationException($"Entry {conflict} conflicts with the committed log (commit {Committed}).");
            }
            Append(entries.AsSpan((int)(conflict - (index + 1))));
        }
        CommitTo(Math.Min(committed, lastNew));
        return lastNew;
    }

    private ulong FindConflict(RaftEntry[] entries)
    {
        foreach (var e in entries)
        {
            if (!MatchTerm(e.Index, e.Term))
            {
                return e.Index;
            }
        }
        return 0;
    }

    /// <summary>The last index ≤ <paramref name="index"/> whose term is ≤ <paramref name="term"/>, with that term (for fast backtracking).</summary>
    public (ulong Index, ulong Term) FindConflictByTerm(ulong index, ulong term)
    {
        for (; index > 0; index--)
        {
            if (!TryTerm(index, out var t))
            {
                return (index, 0);
            }
            if (t <= term)
            {
                return (index, t);
            }
        }
        return (0, 0);
    }

    public ulong Append(ReadOnlySpan<RaftEntry> entries)
    {
        if (entries.Length == 0)
        {
            return LastIndex;
        }
        var after = entries[0].Index;
        if (after - 1 < Committed)
        {
            throw new InvalidOperationException($"Appending after {after - 1} would rewrite committed entries (commit {Committed}).");
        }
        if (after == _offset + (ulong)_unstable.Count)
        {
            _unstable.AddRange(entries);
        }
        else if (after <= _offset)
        {
            // Replaces the whole unstable part and what storage holds from 'after' on.
            _offset = after;
            _unstable = [.. entries];
        }
        else
        {
            _unstable.RemoveRange((int)(after - _offset), _unstable.Count - (int)(after - _offset));
            _unstable.AddRange(entries);
        }
        return LastIndex;
    }

    /// <summary>Entries from <paramref name="lo"/> on, up to <paramref name="maxSize"/> bytes (at least one); null when lo is compacted.</summary>
    public IReadOnlyList<RaftEntry>? Entries(ulong lo, ulong maxSize)
    {
        var last = LastIndex;
        if (lo > last)
        {
            return [];
        }
        return Slice(lo, last + 1, maxSize);
    }

    public IReadOnlyList<RaftEntry>? Slice(ulong lo, ulong hi, ulong maxSize)
    {
        if (lo < FirstIndex)
        {
            return null;
        }
        ulong size = 0;
        List<RaftEntry> result;
        if (lo < _offset)
        {
            var stable = _storage.Entries(lo, Math.Min(hi, _offset), maxSize);
            if (stable is null)
            {
                return null;
            }
            if (hi <= _offset || (ulong)stable.Count < _offset - lo)
            {
                return stable; // all in storage, or the size limit was reached inside storage
            }
            result = new List<RaftEntry>((int)Math.Min(hi - lo, 1024));
            foreach (var e in stable)
            {
                size += e.Size;
                result.Add(e);
            }
        }
        else
        {
            result = new List<RaftEntry>((int)Math.Min(hi - lo, 1024));
        }
        for (var i = Math.Max(lo, _offset); i < hi; i++)
        {
            var e = _unstable[(int)(i - _offset)];
            size += e.Size;
            if (result.Count > 0 && size > maxSize)
            {
                break;
            }
            result.Add(e);
        }
        return result;
    }

    public void CommitTo(ulong index)
    {
        if (index <= Committed)
        {
            return;
        }
        if (index > LastIndex)
        {
            throw new InvalidOperationException($"Commit {index} is beyond the last index {LastIndex}.");
        }
        Committed = index;
    }

    /// <summary>The leader's commit rule: only an entry of the current term is committed by counting replicas.</summary>
    public bool MaybeCommit(ulong index, ulong term)
    {
        if (index > Committed && Term(index) == term)
        {
            CommitTo(index);
            return true;
        }
        return false;
    }

    public bool HasNextCommittedEntries => Committed > Math.Max(Applied, FirstIndex - 1) && UnstableSnapshot is null;

    public IReadOnlyList<RaftEntry> NextCommittedEntries(ulong maxSize)
    {
        if (!HasNextCommittedEntries)
        {
            return [];
        }
        var lo = Math.Max(Applied + 1, FirstIndex);
        return Slice(lo, Committed + 1, maxSize) ?? throw new InvalidOperationException($"Committed entries from {lo} are compacted.");
    }

    public void AppliedTo(ulong index)
    {
        if (index == 0)
        {
            return;
        }
        if (index > Committed || index < Applied)
        {
            throw new InvalidOperationException($"Applied {index} is outside [{Applied}, {Committed}].");
        }
        Applied = index;
    }

    /// <summary>The shell reports entries up to <paramref name="index"/> of <paramref name="term"/> persisted.</summary>
    public void StableTo(ulong index, ulong term)
    {
        if (_unstable.Count == 0 || index < _offset)
        {
            return;
        }
        var pos = index - _offset;
        if (pos >= (ulong)_unstable.Count || _unstable[(int)pos].Term != term)
        {
            return; // replaced by a later append since the Ready
        }
        _unstable.RemoveRange(0, (int)pos + 1);
        _offset = index + 1;
    }

    public void StableSnapshotTo(ulong index)
    {
        if (UnstableSnapshot is { } s && s.Index == index)
        {
            UnstableSnapshot = null;
        }
    }

    /// <summary>Replaces the log with a snapshot received from the leader.</summary>
    public void Restore(RaftSnapshot snapshot)
    {
        Committed = snapshot.Index;
        _offset = snapshot.Index + 1;
        _unstable = [];
        UnstableSnapshot = snapshot;
    }

    /// <summary>The snapshot to send a lagging follower: the unstable one, or storage's.</summary>
    public RaftSnapshot? Snapshot() => UnstableSnapshot ?? _storage.Snapshot();
}
