namespace Kube.Store.Raft.Core;

/// <summary>
/// The Raft algorithm as a pure, deterministic state machine in the shape of etcd-io/raft: inputs are <see cref="Tick"/>,
/// <see cref="Step"/>, <see cref="Propose"/>, <see cref="ProposeConfChange"/>, <see cref="ReadIndex"/> and
/// <see cref="TransferLeadership"/>; output is a <see cref="RaftReady"/> that the shell persists, sends and applies before
/// calling <see cref="Advance"/>. No I/O, clock, threads or ambient randomness: the election jitter comes from
/// <see cref="RaftConfig.Random"/>.
/// </summary>
/// <remarks>
/// Features: pre-vote and check-quorum elections; replication with per-follower progress (probe, replicate with an inflight
/// window, snapshot) and batching up to <see cref="RaftConfig.MaxSizePerMsg"/>; the current-term commit rule with an empty
/// entry on election; ReadIndex reads confirmed by a heartbeat round (followers forward them); leader transfer with
/// TimeoutNow; one membership change at a time, effective when applied; snapshot install for followers behind the
/// compacted log. A leader counts its own log toward the commit index only once the shell reports it persisted
/// (<see cref="Advance"/>), so sending appends before the leader's own fsync is safe.
/// </remarks>
internal sealed class RaftNode
{
    /// <summary>The context of a vote forced by leader transfer: it bypasses the lease of the current leader.</summary>
    public static readonly byte[] TransferContext = "CampaignTransfer"u8.ToArray();

    private readonly RaftConfig _config;
    private readonly RaftLog _log;
    private readonly ReadIndexTracker _readIndex = new();
    private readonly List<RaftMessage> _pendingReads = [];
    private readonly Dictionary<ulong, bool> _votes = [];
    private SortedDictionary<ulong, Progress> _prs = [];
    private List<RaftMessage> _msgs = [];
    private List<ReadState> _readStates = [];
    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;
    private ulong _pendingConfIndex;
    private bool _dropped;
    private SoftState _prevSoft;
    private HardState _prevHard;
    private RaftReady? _inflight;

    public RaftNode(RaftConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Id == 0)
        {
            throw new ArgumentException("A member id must not be 0.", nameof(config));
        }
        if (config.HeartbeatTick <= 0 || config.ElectionTick <= config.HeartbeatTick)
        {
            throw new ArgumentException("ElectionTick must be greater than HeartbeatTick, and HeartbeatTick positive.", nameof(config));
        }
        _config = config;
        Id = config.Id;
        var storage = config.Storage;
        _log = new RaftLog(storage, config.Applied);
        ApplyConfState(storage.ConfState);
        var hs = storage.HardState;
        if (hs != default)
        {
            if (hs.Commit > _log.LastIndex)
            {
                throw new InvalidOperationException($"The persisted commit {hs.Commit} is beyond the last persisted index {_log.LastIndex}.");
            }
            _log.CommitTo(hs.Commit); // a snapshot newer than the hard state already implies a higher commit
            Term = hs.Term;
            Vote = hs.Vote;
        }
        BecomeFollower(Term, 0);
        _prevHard = HardState;
        _prevSoft = SoftState;
    }

    public ulong Id { get; }

    public ulong Term { get; private set; }

    public ulong Vote { get; private set; }

    public ulong Lead { get; private set; }

    public RaftRole Role { get; private set; }

    public ulong Committed => _log.Committed;

    public ulong Applied => _log.Applied;

    public ulong LastIndex => _log.LastIndex;

    public ulong LeadTransferee { get; private set; }

    public HardState HardState => new(Term, Vote, _log.Committed);

    public SoftState SoftState => new(Lead, Role);

    /// <summary>The leader's replication state per member (empty on followers' peers in the sense that it is not maintained).</summary>
    public IReadOnlyDictionary<ulong, Progress> Progress => _prs;

    public ConfState ConfState => new(
        [.. _prs.Where(p => !p.Value.IsLearner).Select(p => p.Key)],
        [.. _prs.Where(p => p.Value.IsLearner).Select(p => p.Key)]);

    private bool Promotable => _prs.TryGetValue(Id, out var p) && !p.IsLearner;

    private int Quorum => _prs.Values.Count(p => !p.IsLearner) / 2 + 1;

    // ---- inputs ----

    /// <summary>Advances the logical clock by one tick (etcd: 100 ms).</summary>
    public void Tick()
    {
        if (Role == RaftRole.Leader)
        {
            TickHeartbeat();
        }
        else
        {
            TickElection();
        }
    }

    /// <summary>Proposes a command. False when it was dropped (no leader known, a transfer in progress, or removed).</summary>
    public bool Propose(byte[] data) =>
        StepLocal(new RaftMessage { Type = RaftMessageType.Propose, Entries = [new RaftEntry(0, 0, RaftEntryType.Normal, data)] });

    /// <summary>Proposes one membership change. False when dropped, including while another change is not yet applied.</summary>
    public bool ProposeConfChange(ConfChange change) =>
        StepLocal(new RaftMessage { Type = RaftMessageType.Propose, Entries = [new RaftEntry(0, 0, RaftEntryType.ConfChange, change.Encode())] });

    /// <summary>Requests a linearizable read point; a <see cref="ReadState"/> with the same context follows in a Ready. False when dropped.</summary>
    public bool ReadIndex(byte[] context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Length == 0)
        {
            throw new ArgumentException("A read context must not be empty.", nameof(context));
        }
        return StepLocal(new RaftMessage { Type = RaftMessageType.ReadIndex, Context = context });
    }

    /// <summary>Asks the leader to hand leadership to <paramref name="to"/> once it is caught up.</summary>
    public void TransferLeadership(ulong to) => StepLocal(new RaftMessage { Type = RaftMessageType.TransferLeader, From = to });

    /// <summary>Starts an election now (if this member may campaign).</summary>
    public void Campaign() => StepLocal(new RaftMessage { Type = RaftMessageType.Hup });

    public void ReportUnreachable(ulong id) => StepLocal(new RaftMessage { Type = RaftMessageType.Unreachable, From = id });

    /// <summary>The shell reports whether a snapshot sent to <paramref name="id"/> was delivered.</summary>
    public void ReportSnapshot(ulong id, bool delivered) =>
        StepLocal(new RaftMessage { Type = RaftMessageType.SnapStatus, From = id, Reject = !delivered });

    private bool StepLocal(RaftMessage m)
    {
        _dropped = false;
        StepCore(m);
        return !_dropped;
    }

    /// <summary>Feeds a message received from another member. Local-only message types and responses from non-members are ignored.</summary>
    public void Step(RaftMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.Type is RaftMessageType.Hup or RaftMessageType.Beat or RaftMessageType.CheckQuorum or RaftMessageType.SnapStatus or RaftMessageType.Unreachable)
        {
            return;
        }
        if (IsResponse(m.Type) && !_prs.ContainsKey(m.From))
        {
            return;
        }
        _dropped = false;
        StepCore(m);
    }

    private static bool IsResponse(RaftMessageType t) => t is RaftMessageType.AppResp or RaftMessageType.VoteResp or RaftMessageType.PreVoteResp
        or RaftMessageType.HeartbeatResp;

    /// <summary>Applies a committed membership change (call it when its entry is applied) and returns the new membership.</summary>
    public ConfState ApplyConfChange(ConfChange change)
    {
        switch (change.Type)
        {
            case ConfChangeType.AddNode:
                if (_prs.TryGetValue(change.NodeId, out var existing))
                {
                    existing.IsLearner = false;
                }
                else
                {
                    _prs[change.NodeId] = NewProgress(change.NodeId, false, active: true);
                }
                break;
            case ConfChangeType.AddLearnerNode:
                if (!_prs.ContainsKey(change.NodeId))
                {
                    _prs[change.NodeId] = NewProgress(change.NodeId, true, active: true);
                }
                break;
            case ConfChangeType.RemoveNode:
                _prs.Remove(change.NodeId);
                break;
        }
        if (Role == RaftRole.Leader && _prs.Values.Any(p => !p.IsLearner))
        {
            if (LeadTransferee != 0 && !(_prs.TryGetValue(LeadTransferee, out var t) && !t.IsLearner))
            {
                LeadTransferee = 0;
            }
            if (MaybeCommit())
            {
                BroadcastAppend();
            }
            else
            {
                foreach (var id in _prs.Keys.ToArray())
                {
                    if (id != Id)
                    {
                        // probe a member just added at once rather than at the next heartbeat
                        MaybeSendAppend(id, id == change.NodeId && change.Type != ConfChangeType.RemoveNode);
                    }
                }
            }
        }
        return ConfState;
    }

    // ---- Ready / Advance ----

    public bool HasReady => _inflight is null && (SoftState != _prevSoft || HardState != _prevHard || _log.UnstableSnapshot is not null
        || _log.UnstableEntries.Count > 0 || _msgs.Count > 0 || _log.HasNextCommittedEntries || _readStates.Count > 0);

    /// <summary>Takes the pending work. Call <see cref="Advance"/> once it is done before the next Ready.</summary>
    public RaftReady Ready()
    {
        if (_inflight is not null)
        {
            throw new InvalidOperationException("Ready() was called again before Advance().");
        }
        var soft = SoftState;
        var hard = HardState;
        var entries = _log.UnstableEntries.ToArray();
        var ready = new RaftReady
        {
            SoftState = soft != _prevSoft ? soft : null,
            HardState = hard != _prevHard ? hard : null,
            Entries = entries,
            Snapshot = _log.UnstableSnapshot,
            CommittedEntries = _log.NextCommittedEntries(_config.MaxCommittedSizePerReady),
            Messages = _msgs,
            ReadStates = _readStates,
            MustSync = entries.Length > 0 || hard.Term != _prevHard.Term || hard.Vote != _prevHard.Vote || _log.UnstableSnapshot is not null,
        };
        _msgs = [];
        _readStates = [];
        _prevSoft = soft;
        _prevHard = hard;
        _inflight = ready;
        return ready;
    }

    /// <summary>The shell has persisted, sent and applied the last Ready.</summary>
    public void Advance()
    {
        var ready = _inflight ?? throw new InvalidOperationException("Advance() without a Ready.");
        _inflight = null;
        if (ready.Entries.Count > 0)
        {
            var last = ready.Entries[^1];
            _log.StableTo(last.Index, last.Term);
        }
        if (ready.Snapshot is { } snapshot)
        {
            _log.StableSnapshotTo(snapshot.Index);
            if (snapshot.Index > _log.Applied && snapshot.Index <= _log.Committed)
            {
                _log.AppliedTo(snapshot.Index);
            }
        }
        if (ready.CommittedEntries.Count > 0)
        {
            _log.AppliedTo(ready.CommittedEntries[^1].Index);
        }
        if (Role == RaftRole.Leader && _prs.TryGetValue(Id, out var self) && self.MaybeUpdate(_log.PersistedIndex) && MaybeCommit())
        {
            BroadcastAppend();
        }
    }

    // ---- state transitions ----

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

    // ---- stepping ----

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

    // ---- sending ----

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
        foreach (var id in _prs.Keys.ToArray())
        {
            if (id != Id)
            {
                MaybeSendAppend(id, true);
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
        var matches = _prs.Values.Where(p => !p.IsLearner).Select(p => p.Match).OrderByDescending(x => x).ToArray();
        if (matches.Length == 0)
        {
            return false;
        }
        if (!_log.MaybeCommit(matches[matches.Length / 2], Term))
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
