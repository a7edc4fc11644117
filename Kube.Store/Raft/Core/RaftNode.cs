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
internal sealed partial class RaftNode
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

    /// <summary>
    /// Proposes several commands at once: they are appended together and reach each follower in one append (a follower forwards
    /// them to the leader in one message). False when they were dropped, all of them.
    /// </summary>
    public bool Propose(IReadOnlyList<byte[]> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var entries = new RaftEntry[data.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new RaftEntry(0, 0, RaftEntryType.Normal, data[i]);
        }
        return StepLocal(new RaftMessage { Type = RaftMessageType.Propose, Entries = entries });
    }

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
}
