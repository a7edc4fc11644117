namespace Kube.Store.Raft.Core;

/// <summary>RaftNode: stepping messages by role (leader, candidate, follower), ReadIndex, appends, heartbeats and snapshots.</summary>
internal sealed partial class RaftNode
{
    private void StepCore(RaftMessage m)
    {
        if (m.Term == 0)
        {
            // local message (or a forwarded proposal / read)
        }
        else if (m.Term > Term)
        {
            if (m.Type is RaftMessageType.Vote or RaftMessageType.PreVote)
            {
                var force = m.Context is { } c && c.AsSpan().SequenceEqual(TransferContext);
                var inLease = _config.CheckQuorum && Lead != 0 && _electionElapsed < _config.ElectionTick;
                if (!force && inLease)
                {
                    return; // we heard from a leader recently: do not let a disrupting member raise the term
                }
            }
            if (m.Type == RaftMessageType.PreVote || (m.Type == RaftMessageType.PreVoteResp && !m.Reject))
            {
                // a pre-vote never changes terms; a granted pre-vote's term is adopted when the real election starts
            }
            else if (m.Type is RaftMessageType.App or RaftMessageType.Heartbeat or RaftMessageType.Snap)
            {
                BecomeFollower(m.Term, m.From);
            }
            else
            {
                BecomeFollower(m.Term, 0);
            }
        }
        else if (m.Term < Term)
        {
            if ((_config.CheckQuorum || _config.PreVote) && m.Type is RaftMessageType.Heartbeat or RaftMessageType.App)
            {
                // tell a stale leader about the newer term so that it steps down
                Send(new RaftMessage { Type = RaftMessageType.AppResp, To = m.From });
            }
            else if (m.Type == RaftMessageType.PreVote)
            {
                Send(new RaftMessage { Type = RaftMessageType.PreVoteResp, To = m.From, Term = Term, Reject = true });
            }
            return;
        }

        switch (m.Type)
        {
            case RaftMessageType.Hup:
                Hup(_config.PreVote ? CampaignKind.PreElection : CampaignKind.Election);
                return;
            case RaftMessageType.Vote:
            case RaftMessageType.PreVote:
                HandleVote(m);
                return;
        }
        switch (Role)
        {
            case RaftRole.Leader:
                StepLeader(m);
                break;
            case RaftRole.Follower:
                StepFollower(m);
                break;
            default:
                StepCandidate(m);
                break;
        }
    }

    private void HandleVote(RaftMessage m)
    {
        var respType = m.Type == RaftMessageType.Vote ? RaftMessageType.VoteResp : RaftMessageType.PreVoteResp;
        var canVote = Vote == m.From || (Vote == 0 && Lead == 0) || (m.Type == RaftMessageType.PreVote && m.Term > Term);
        if (canVote && _log.IsUpToDate(m.Index, m.LogTerm))
        {
            Send(new RaftMessage { Type = respType, To = m.From, Term = m.Term });
            if (m.Type == RaftMessageType.Vote)
            {
                _electionElapsed = 0;
                Vote = m.From;
            }
        }
        else
        {
            Send(new RaftMessage { Type = respType, To = m.From, Term = Term, Reject = true });
        }
    }

    private void StepLeader(RaftMessage m)
    {
        switch (m.Type)
        {
            case RaftMessageType.Beat:
                BroadcastHeartbeat(_readIndex.LastContext);
                return;
            case RaftMessageType.CheckQuorum:
                if (!QuorumActive())
                {
                    BecomeFollower(Term, 0);
                }
                foreach (var (id, p) in _prs)
                {
                    if (id != Id)
                    {
                        p.RecentActive = false;
                    }
                }
                return;
            case RaftMessageType.Propose:
                if (m.Entries.Length == 0)
                {
                    throw new ArgumentException("A proposal without entries.");
                }
                if (!_prs.ContainsKey(Id) || LeadTransferee != 0)
                {
                    _dropped = true;
                    return;
                }
                for (var i = 0; i < m.Entries.Length; i++)
                {
                    if (m.Entries[i].Type == RaftEntryType.ConfChange)
                    {
                        if (_pendingConfIndex > _log.Applied)
                        {
                            _dropped = true;
                            return;
                        }
                        _pendingConfIndex = _log.LastIndex + (ulong)i + 1;
                    }
                }
                AppendEntries(m.Entries);
                BroadcastAppend();
                return;
            case RaftMessageType.ReadIndex:
                if (_log.Term(_log.Committed) != Term)
                {
                    _pendingReads.Add(m); // served once this term's first entry commits
                    return;
                }
                HandleReadIndex(m);
                return;
        }

        if (!_prs.TryGetValue(m.From, out var pr))
        {
            return;
        }
        switch (m.Type)
        {
            case RaftMessageType.AppResp:
                pr.RecentActive = true;
                if (m.Reject)
                {
                    var next = m.RejectHint;
                    if (m.LogTerm > 0)
                    {
                        next = _log.FindConflictByTerm(m.RejectHint, m.LogTerm).Index;
                    }
                    if (pr.MaybeDecreaseTo(m.Index, next))
                    {
                        if (pr.State == ProgressState.Replicate)
                        {
                            pr.BecomeProbe();
                        }
                        MaybeSendAppend(m.From, true);
                    }
                }
                else
                {
                    var wasPaused = pr.IsPaused;
                    if (pr.MaybeUpdate(m.Index))
                    {
                        switch (pr.State)
                        {
                            case ProgressState.Probe:
                                pr.BecomeReplicate();
                                break;
                            case ProgressState.Snapshot when pr.Match >= pr.PendingSnapshot:
                                pr.BecomeProbe();
                                pr.BecomeReplicate();
                                break;
                            case ProgressState.Replicate:
                                pr.Inflights.FreeLE(m.Index);
                                break;
                        }
                        if (MaybeCommit())
                        {
                            BroadcastAppend();
                        }
                        else if (wasPaused)
                        {
                            MaybeSendAppend(m.From, true);
                        }
                        while (MaybeSendAppend(m.From, false))
                        {
                        }
                        if (m.From == LeadTransferee && pr.Match == _log.LastIndex)
                        {
                            Send(new RaftMessage { Type = RaftMessageType.TimeoutNow, To = m.From });
                        }
                    }
                }
                return;
            case RaftMessageType.HeartbeatResp:
                pr.RecentActive = true;
                pr.ProbeSent = false;
                if (pr.State == ProgressState.Replicate && pr.Inflights.Full)
                {
                    pr.Inflights.FreeFirstOne();
                }
                if (pr.Match < _log.LastIndex)
                {
                    MaybeSendAppend(m.From, true);
                }
                if (m.Context is { Length: > 0 } ctx && _readIndex.Ack(m.From, ctx) is { } acks
                    && acks.Count(a => _prs.TryGetValue(a, out var ap) && !ap.IsLearner) >= Quorum)
                {
                    foreach (var (index, request) in _readIndex.Release(ctx))
                    {
                        RespondToRead(request, index);
                    }
                }
                return;
            case RaftMessageType.SnapStatus:
                if (pr.State != ProgressState.Snapshot)
                {
                    return;
                }
                if (m.Reject)
                {
                    pr.BecomeSnapshot(0);
                }
                pr.BecomeProbe();
                pr.ProbeSent = true; // wait for a heartbeat reply before probing
                return;
            case RaftMessageType.Unreachable:
                if (pr.State == ProgressState.Replicate)
                {
                    pr.BecomeProbe();
                }
                return;
            case RaftMessageType.TransferLeader:
                if (pr.IsLearner)
                {
                    return;
                }
                var target = m.From;
                if (LeadTransferee != 0)
                {
                    if (LeadTransferee == target)
                    {
                        return;
                    }
                    LeadTransferee = 0;
                }
                if (target == Id)
                {
                    return;
                }
                _electionElapsed = 0;
                LeadTransferee = target;
                if (pr.Match == _log.LastIndex)
                {
                    Send(new RaftMessage { Type = RaftMessageType.TimeoutNow, To = target });
                }
                else
                {
                    MaybeSendAppend(target, true);
                }
                return;
        }
    }

    private void HandleReadIndex(RaftMessage m)
    {
        if (Quorum == 1 && Promotable)
        {
            RespondToRead(m, _log.Committed);
            return;
        }
        _readIndex.Add(_log.Committed, m);
        _readIndex.Ack(Id, m.Context!);
        BroadcastHeartbeat(m.Context);
    }

    private void RespondToRead(RaftMessage request, ulong index)
    {
        if (request.From == 0 || request.From == Id)
        {
            _readStates.Add(new ReadState(index, request.Context!));
        }
        else
        {
            Send(new RaftMessage { Type = RaftMessageType.ReadIndexResp, To = request.From, Index = index, Context = request.Context });
        }
    }

    private void StepCandidate(RaftMessage m)
    {
        var myResp = Role == RaftRole.PreCandidate ? RaftMessageType.PreVoteResp : RaftMessageType.VoteResp;
        switch (m.Type)
        {
            case RaftMessageType.Propose:
            case RaftMessageType.ReadIndex:
            case RaftMessageType.TransferLeader:
                _dropped = true;
                return;
            case RaftMessageType.App:
                BecomeFollower(m.Term, m.From);
                HandleAppend(m);
                return;
            case RaftMessageType.Heartbeat:
                BecomeFollower(m.Term, m.From);
                HandleHeartbeat(m);
                return;
            case RaftMessageType.Snap:
                BecomeFollower(m.Term, m.From);
                HandleSnapshot(m);
                return;
        }
        if (m.Type == myResp)
        {
            switch (Poll(m.From, !m.Reject))
            {
                case VoteResult.Won:
                    if (Role == RaftRole.PreCandidate)
                    {
                        Campaign(CampaignKind.Election);
                    }
                    else
                    {
                        BecomeLeader();
                        BroadcastAppend();
                    }
                    break;
                case VoteResult.Lost:
                    BecomeFollower(Term, 0);
                    break;
            }
        }
    }

    private void StepFollower(RaftMessage m)
    {
        switch (m.Type)
        {
            case RaftMessageType.Propose:
            case RaftMessageType.ReadIndex:
            case RaftMessageType.TransferLeader:
                if (Lead == 0)
                {
                    _dropped = true;
                    return;
                }
                Send(m with { To = Lead });
                return;
            case RaftMessageType.App:
                _electionElapsed = 0;
                Lead = m.From;
                HandleAppend(m);
                return;
            case RaftMessageType.Heartbeat:
                _electionElapsed = 0;
                Lead = m.From;
                HandleHeartbeat(m);
                return;
            case RaftMessageType.Snap:
                _electionElapsed = 0;
                Lead = m.From;
                HandleSnapshot(m);
                return;
            case RaftMessageType.TimeoutNow:
                Hup(CampaignKind.Transfer);
                return;
            case RaftMessageType.ReadIndexResp:
                _readStates.Add(new ReadState(m.Index, m.Context!));
                return;
        }
    }

    private void HandleAppend(RaftMessage m)
    {
        if (m.Index < _log.Committed)
        {
            Send(new RaftMessage { Type = RaftMessageType.AppResp, To = m.From, Index = _log.Committed });
            return;
        }
        if (_log.MaybeAppend(m.Index, m.LogTerm, m.Commit, m.Entries) is { } lastNew)
        {
            Send(new RaftMessage { Type = RaftMessageType.AppResp, To = m.From, Index = lastNew });
            return;
        }
        var (hintIndex, hintTerm) = _log.FindConflictByTerm(Math.Min(m.Index, _log.LastIndex), m.LogTerm);
        Send(new RaftMessage
        {
            Type = RaftMessageType.AppResp,
            To = m.From,
            Index = m.Index,
            Reject = true,
            RejectHint = hintIndex,
            LogTerm = hintTerm,
        });
    }

    private void HandleHeartbeat(RaftMessage m)
    {
        _log.CommitTo(m.Commit);
        Send(new RaftMessage { Type = RaftMessageType.HeartbeatResp, To = m.From, Context = m.Context });
    }

    private void HandleSnapshot(RaftMessage m)
    {
        var snapshot = m.Snapshot ?? throw new ArgumentException("A snapshot message without a snapshot.");
        var index = Restore(snapshot) ? _log.LastIndex : _log.Committed;
        Send(new RaftMessage { Type = RaftMessageType.AppResp, To = m.From, Index = index });
    }

    private bool Restore(RaftSnapshot snapshot)
    {
        if (snapshot.Index <= _log.Committed || !snapshot.ConfState.Contains(Id))
        {
            return false;
        }
        if (_log.MatchTerm(snapshot.Index, snapshot.Term))
        {
            _log.CommitTo(snapshot.Index); // we already have the log up to the snapshot: fast-forward the commit
            return false;
        }
        _log.Restore(snapshot);
        ApplyConfState(snapshot.ConfState);
        return true;
    }
}
