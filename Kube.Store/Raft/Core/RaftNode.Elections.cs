namespace Kube.Store.Raft.Core;

/// <summary>RaftNode: role transitions, ticks and elections (pre-vote, vote, check-quorum).</summary>
internal sealed partial class RaftNode
{
    private Progress NewProgress(ulong id, bool learner, bool active)
    {
        var p = new Progress(_log.LastIndex + 1, _config.MaxInflightMsgs, learner) { RecentActive = active };
        if (id == Id)
        {
            p.Match = _log.PersistedIndex;
        }
        return p;
    }

    private void ApplyConfState(ConfState conf)
    {
        var prs = new SortedDictionary<ulong, Progress>();
        foreach (var v in conf.Voters)
        {
            prs[v] = NewProgress(v, false, false);
        }
        foreach (var l in conf.Learners)
        {
            prs[l] = NewProgress(l, true, false);
        }
        _prs = prs;
    }

    private void Reset(ulong term)
    {
        if (Term != term)
        {
            Term = term;
            Vote = 0;
        }
        Lead = 0;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        _randomizedElectionTimeout = _config.ElectionTick + _config.Random.Next(_config.ElectionTick);
        LeadTransferee = 0;
        _votes.Clear();
        var prs = new SortedDictionary<ulong, Progress>();
        foreach (var (id, p) in _prs)
        {
            prs[id] = NewProgress(id, p.IsLearner, false);
        }
        _prs = prs;
        _pendingConfIndex = 0;
        _readIndex.Clear();
        _pendingReads.Clear();
    }

    private void BecomeFollower(ulong term, ulong lead)
    {
        Reset(term);
        Lead = lead;
        Role = RaftRole.Follower;
    }

    private void BecomePreCandidate()
    {
        _votes.Clear();
        Lead = 0;
        Role = RaftRole.PreCandidate;
    }

    private void BecomeCandidate()
    {
        Reset(Term + 1);
        Vote = Id;
        Role = RaftRole.Candidate;
    }

    private void BecomeLeader()
    {
        Reset(Term);
        Lead = Id;
        Role = RaftRole.Leader;
        if (_prs.TryGetValue(Id, out var self))
        {
            self.BecomeReplicate();
            self.RecentActive = true;
        }
        _pendingConfIndex = _log.LastIndex;
        AppendEntries([new RaftEntry(0, 0, RaftEntryType.Normal, [])]);
    }

    private void TickElection()
    {
        _electionElapsed++;
        if (Promotable && _electionElapsed >= _randomizedElectionTimeout)
        {
            _electionElapsed = 0;
            StepCore(new RaftMessage { Type = RaftMessageType.Hup });
        }
    }

    private void TickHeartbeat()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        if (_electionElapsed >= _config.ElectionTick)
        {
            _electionElapsed = 0;
            if (_config.CheckQuorum)
            {
                StepCore(new RaftMessage { Type = RaftMessageType.CheckQuorum });
            }
            if (Role == RaftRole.Leader && LeadTransferee != 0)
            {
                LeadTransferee = 0; // the transfer did not finish within an election timeout
            }
        }
        if (Role != RaftRole.Leader)
        {
            return;
        }
        if (_heartbeatElapsed >= _config.HeartbeatTick)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat(_readIndex.LastContext);
        }
    }

    private enum CampaignKind
    {
        PreElection,
        Election,
        Transfer,
    }

    private void Hup(CampaignKind kind)
    {
        if (Role == RaftRole.Leader || !Promotable)
        {
            return;
        }
        // A committed but unapplied configuration change must be applied before campaigning under the old membership.
        if (_log.Committed > _log.Applied)
        {
            var pending = _log.Slice(Math.Max(_log.Applied + 1, _log.FirstIndex), _log.Committed + 1, ulong.MaxValue);
            if (pending is null || pending.Any(e => e.Type == RaftEntryType.ConfChange))
            {
                return;
            }
        }
        Campaign(kind);
    }

    private void Campaign(CampaignKind kind)
    {
        ulong term;
        RaftMessageType voteType;
        if (kind == CampaignKind.PreElection)
        {
            BecomePreCandidate();
            voteType = RaftMessageType.PreVote;
            term = Term + 1;
        }
        else
        {
            BecomeCandidate();
            voteType = RaftMessageType.Vote;
            term = Term;
        }
        if (Poll(Id, true) == VoteResult.Won)
        {
            if (kind == CampaignKind.PreElection)
            {
                Campaign(CampaignKind.Election);
            }
            else
            {
                BecomeLeader();
            }
            return;
        }
        foreach (var (id, p) in _prs)
        {
            if (id == Id || p.IsLearner)
            {
                continue;
            }
            Send(new RaftMessage
            {
                Type = voteType,
                To = id,
                Term = term,
                Index = _log.LastIndex,
                LogTerm = _log.LastTerm,
                Context = kind == CampaignKind.Transfer ? TransferContext : null,
            });
        }
    }

    private enum VoteResult
    {
        Pending,
        Won,
        Lost,
    }

    private VoteResult Poll(ulong id, bool granted)
    {
        _votes.TryAdd(id, granted);
        int yes = 0, no = 0, voters = 0;
        foreach (var (pid, p) in _prs)
        {
            if (p.IsLearner)
            {
                continue;
            }
            voters++;
            if (_votes.TryGetValue(pid, out var v))
            {
                if (v)
                {
                    yes++;
                }
                else
                {
                    no++;
                }
            }
        }
        var q = voters / 2 + 1;
        return yes >= q ? VoteResult.Won : voters - no < q ? VoteResult.Lost : VoteResult.Pending;
    }
}
