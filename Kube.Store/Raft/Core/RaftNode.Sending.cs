namespace Kube.Store.Raft.Core;

/// <summary>RaftNode: sending appends, heartbeats and snapshots; the commit rule and the quorum check.</summary>
internal sealed partial class RaftNode
{
    private void Send(RaftMessage m)
    {
        if (m.From == 0)
        {
            m = m with { From = Id };
        }
        if (m.Term == 0 && m.Type is not (RaftMessageType.Propose or RaftMessageType.ReadIndex or RaftMessageType.TransferLeader))
        {
            m = m with { Term = Term };
        }
        _msgs.Add(m);
    }

    private void AppendEntries(RaftEntry[] entries)
    {
        var last = _log.LastIndex;
        var stamped = new RaftEntry[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            stamped[i] = entries[i] with { Term = Term, Index = last + 1 + (ulong)i };
        }
        _log.Append(stamped);
    }

    private void BroadcastAppend()
    {
        foreach (var id in _prs.Keys)
        {
            if (id != Id)
            {
                MaybeSendAppend(id, true); // changes a member's progress, never the set of members
            }
        }
    }

    private void BroadcastHeartbeat(byte[]? context)
    {
        foreach (var (id, p) in _prs)
        {
            if (id != Id)
            {
                Send(new RaftMessage { Type = RaftMessageType.Heartbeat, To = id, Commit = Math.Min(p.Match, _log.Committed), Context = context });
            }
        }
    }

    private bool MaybeSendAppend(ulong to, bool sendIfEmpty)
    {
        if (!_prs.TryGetValue(to, out var pr) || pr.IsPaused)
        {
            return false;
        }
        var hasTerm = _log.TryTerm(pr.Next - 1, out var prevTerm);
        var entries = _log.Entries(pr.Next, _config.MaxSizePerMsg);
        if (entries is { Count: 0 } && !sendIfEmpty)
        {
            return false;
        }
        if (!hasTerm || entries is null)
        {
            if (!pr.RecentActive || _log.Snapshot() is not { } snapshot)
            {
                return false;
            }
            Send(new RaftMessage { Type = RaftMessageType.Snap, To = to, Snapshot = snapshot });
            pr.BecomeSnapshot(snapshot.Index);
            return true;
        }
        Send(new RaftMessage
        {
            Type = RaftMessageType.App,
            To = to,
            Index = pr.Next - 1,
            LogTerm = prevTerm,
            Entries = [.. entries],
            Commit = _log.Committed,
        });
        if (entries.Count > 0)
        {
            switch (pr.State)
            {
                case ProgressState.Replicate:
                    var last = entries[^1].Index;
                    pr.Next = last + 1;
                    pr.Inflights.Add(last);
                    break;
                case ProgressState.Probe:
                    pr.ProbeSent = true;
                    break;
            }
        }
        return true;
    }

    private bool MaybeCommit()
    {
        // The highest index a quorum of voters has: the (n/2)-th largest match, without allocating (called on every acknowledgement).
        Span<ulong> matches = _prs.Count <= 16 ? stackalloc ulong[_prs.Count] : new ulong[_prs.Count];
        var voters = 0;
        foreach (var p in _prs.Values)
        {
            if (!p.IsLearner)
            {
                matches[voters++] = p.Match;
            }
        }
        if (voters == 0)
        {
            return false;
        }
        matches = matches[..voters];
        matches.Sort();
        if (!_log.MaybeCommit(matches[(voters - 1) / 2], Term))
        {
            return false;
        }
        if (_pendingReads.Count > 0 && _log.Term(_log.Committed) == Term)
        {
            var reads = _pendingReads.ToArray();
            _pendingReads.Clear();
            foreach (var r in reads)
            {
                HandleReadIndex(r);
            }
        }
        return true;
    }

    private bool QuorumActive()
    {
        var active = _prs.Count(p => !p.Value.IsLearner && (p.Key == Id || p.Value.RecentActive));
        return active >= Quorum;
    }
}
