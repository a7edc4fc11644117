using Kube.Store.Raft.Core;

namespace Kube.Store.Tests.Simulation;

/// <summary>
/// One seeded history: a cluster of <see cref="RaftNode"/>s driving <see cref="SimKvStore"/>s over a simulated network, with
/// clients and faults, all on a virtual clock (milliseconds; one Raft tick = 100 ms, as in etcd). Everything random comes
/// from one <see cref="Random"/> seeded with the history's seed, so a seed replays exactly.
/// </summary>
/// <remarks>
/// Checked while it runs: at most one leader per term; every member applies the same entry (term, payload, resulting
/// revision) at each index, with no gap and no repeat; the watch stream (revision, key, value, prevKV) of every member is
/// gap-free and identical. Checked at the end: the client history is linearizable, and after healing the cluster makes
/// progress and every member converges to the same applied index.
/// </remarks>
internal sealed partial class SimCluster
{
    private const int TickMs = 100;
    private const int ClientCount = 3;
    private const int OpsPerClient = 8;
    private const int OpTimeoutMs = 500;
    private const int FaultEndMs = 5000;
    private const int DeadlineMs = 14000;
    private const ulong SnapshotEvery = 6;
    private const ulong SnapshotKeep = 2;
    private static readonly string[] Keys = ["a", "b"];

    private readonly int _seed;
    private readonly FaultMix _mix;
    private readonly Random _rng;
    private readonly PriorityQueue<Action, (long, long)> _events = new();
    private readonly List<SimMember> _members = [];
    private readonly HashSet<(ulong From, ulong To)> _blocked = [];
    private readonly Dictionary<ulong, ulong> _leaders = [];
    private readonly Dictionary<ulong, (ulong Term, int Hash, long Revision)> _applied = [];
    private readonly Dictionary<long, WatchEvent> _watch = [];
    private readonly List<KvOperation> _history = [];
    private readonly HashSet<long> _submitted = [];
    private readonly HashSet<long> _closed = [];
    private readonly List<string> _trace = [];
    private readonly ClientState[] _clients = new ClientState[ClientCount];
    private long _now;
    private long _seq;
    private long _stamp;
    private long _nextOpId;
    private bool _faultsOn = true;
    private int _membershipStep;
    private long _finalDoneAt = -1;
    private int _holdMs;
    private ClientState? _finalClient;
    private string? _violation;

    public SimCluster(int seed, FaultMix mix)
    {
        _seed = seed;
        _mix = mix;
        _rng = new Random(seed);
    }

    /// <summary>Counters summed over the histories of a test run.</summary>
    public SimStats Stats { get; } = new();

    public bool Trace { get; init; }

    public IReadOnlyList<string> TraceLines => _trace;

    public IReadOnlyList<KvOperation> History => _history;

    private sealed class ClientState
    {
        public required int Id;
        public int OpsLeft = OpsPerClient;
        public KvOperation? Current;
        public ulong Hint;
    }

    /// <summary>Runs the history; returns null when every check passed, else a description of the violation.</summary>
    public string? Run()
    {
        var voters = Enumerable.Range(1, _mix.Members).Select(i => (ulong)i).ToArray();
        foreach (var id in voters)
        {
            _members.Add(new SimMember(id, MemoryRaftStorage.Bootstrap(voters)));
        }
        if (_mix.Membership)
        {
            _members.Add(new SimMember((ulong)_mix.Members + 1, new MemoryRaftStorage()));
        }
        foreach (var m in _members)
        {
            Start(m);
        }
        for (var c = 0; c < ClientCount; c++)
        {
            _clients[c] = new ClientState { Id = c };
            var client = _clients[c];
            At(_rng.Next(1000), () => Invoke(client));
        }
        if (_mix.Partitions || _mix.Crashes || _mix.Transfers || _mix.Membership)
        {
            At(300 + _rng.Next(300), Fault);
        }
        At(FaultEndMs, Heal);

        try
        {
            while (_violation is null && _events.TryDequeue(out var action, out var when))
            {
                _now = when.Item1;
                if (_now > DeadlineMs)
                {
                    break;
                }
                action();
                if (_finalDoneAt >= 0 && Converged())
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            return $"exception at {_now} ms: {ex}";
        }
        if (_violation is not null)
        {
            return _violation;
        }
        if (_finalDoneAt < 0)
        {
            return $"no progress: a write after healing at {FaultEndMs} ms did not complete by {DeadlineMs} ms";
        }
        if (!Converged())
        {
            var live = _members.Where(m => m.Up && !m.Removed && m.Conf.Contains(m.Id));
            return $"members did not converge by {DeadlineMs} ms: applied {string.Join(", ", live.Select(m => $"{m.Id}:{m.LastApplied}"))}";
        }
        var check = LinearizabilityChecker.Check(_history);
        Stats.Histories++;
        Stats.Operations += _history.Count;
        Stats.Unknown += _history.Count(o => o.Unknown);
        Stats.VirtualMs += _now;
        Stats.Elections += _leaders.Count;
        return check is null ? null : "not linearizable: " + check;
    }

    /// <summary>After healing: every member of the configuration is up and has applied everything any member committed.</summary>
    private bool Converged()
    {
        ulong? applied = null;
        ulong committed = 0;
        foreach (var m in _members)
        {
            if (m.Removed || !m.Conf.Contains(m.Id))
            {
                continue;
            }
            if (!m.Up || (applied is { } a && a != m.LastApplied))
            {
                return false;
            }
            applied = m.LastApplied;
            committed = Math.Max(committed, m.Raft.Committed);
        }
        return applied is { } all && all >= committed;
    }

    // ---- event loop ----

    private void At(long delay, Action action) => _events.Enqueue(action, (_now + delay, _seq++));

    private void Violation(string what)
    {
        _violation ??= $"at {_now} ms: {what}";
    }

    private void Log(string line)
    {
        if (Trace)
        {
            _trace.Add($"{_now,6} {line}");
        }
    }

    // ---- members ----

    private void Start(SimMember m)
    {
        m.Up = true;
        m.ResetVolatile();
        var snapshot = m.Disk.Snapshot();
        m.Kv.Restore(snapshot?.Data ?? []);
        m.LastApplied = snapshot?.Index ?? 0;
        m.LastRevision = m.Kv.Revision;
        m.Conf = m.Disk.ConfState;
        m.Raft = new RaftNode(new RaftConfig
        {
            Id = m.Id,
            Storage = m.Disk,
            Applied = m.LastApplied,
            Random = new Random(_rng.Next()),
            MaxSizePerMsg = 256, // small, so that batching and the inflight window are exercised
            MaxInflightMsgs = 4,
        });
        var epoch = m.Epoch;
        // Clocks drift: each incarnation ticks every 70-130 ms, so timeouts of different members do not line up.
        m.TickInterval = TickMs * 7 / 10 + _rng.Next(TickMs * 6 / 10 + 1);
        At(_rng.Next(TickMs), () => TickLoop(m, epoch));
    }

    private void TickLoop(SimMember m, int epoch)
    {
        if (!m.Up || m.Epoch != epoch)
        {
            return;
        }
        m.Raft.Tick();
        Process(m);
        At(m.TickInterval, () => TickLoop(m, epoch));
    }

    private void Crash(SimMember m)
    {
        if (!m.Up)
        {
            return;
        }
        Stats.Crashes++;
        var keep = _mix.TornWrites ? _rng.Next(m.Unsynced.Count + 1) : 0;
        for (var i = 0; i < keep; i++)
        {
            m.Unsynced[i](m.Disk);
        }
        Log($"crash {m.Id} (kept {keep}/{m.Unsynced.Count} unsynced writes)");
        m.Up = false;
        m.Epoch++;
        m.ResetVolatile();
    }

    private void CheckLeader(SimMember m)
    {
        if (m.Raft.Role != RaftRole.Leader)
        {
            return;
        }
        if (_leaders.TryGetValue(m.Raft.Term, out var other))
        {
            if (other != m.Id)
            {
                Violation($"two leaders in term {m.Raft.Term}: {other} and {m.Id}");
            }
        }
        else
        {
            _leaders[m.Raft.Term] = m.Id;
            Log($"leader {m.Id} term {m.Raft.Term}");
        }
    }

    /// <summary>The shell loop: Ready → persist (unsynced, then fsync later) → send → apply → Advance.</summary>
    private void Process(SimMember m)
    {
        CheckLeader(m);
        while (m.Up && m.InFlight is null && _violation is null)
        {
            CheckLeader(m);
            if (!m.Raft.HasReady)
            {
                return;
            }
            var ready = m.Raft.Ready();
            if (ready.Snapshot is { } snapshot)
            {
                m.Unsynced.Add(d => d.ApplySnapshot(snapshot));
            }
            foreach (var e in ready.Entries)
            {
                var entry = e;
                m.Unsynced.Add(d => d.Append([entry]));
            }
            if (ready.HardState is { } hs)
            {
                m.Unsynced.Add(d => d.SetHardState(hs));
            }
            // A leader may send appends and heartbeats before its own fsync; everything else waits for it.
            var early = m.Raft.Role == RaftRole.Leader;
            foreach (var msg in ready.Messages)
            {
                if (early && msg.Type is RaftMessageType.App or RaftMessageType.Heartbeat or RaftMessageType.Snap)
                {
                    Send(m, msg);
                }
            }
            if (ready.MustSync)
            {
                m.InFlight = ready;
                var epoch = m.Epoch;
                if (m.CrashDuringNextFsync)
                {
                    // The crash lands while this write is unsynced (the leader may already have sent its appends).
                    m.CrashDuringNextFsync = false;
                    At(0, () =>
                    {
                        if (m.Epoch == epoch)
                        {
                            Crash(m);
                            ScheduleRestart(m);
                        }
                    });
                }
                At(1 + _rng.Next(8), () =>
                {
                    if (m.Up && m.Epoch == epoch && m.InFlight == ready)
                    {
                        Finish(m, ready, early);
                        Process(m);
                    }
                });
                return;
            }
            Finish(m, ready, early);
        }
    }

    private void Finish(SimMember m, RaftReady ready, bool sentEarly)
    {
        foreach (var write in m.Unsynced)
        {
            write(m.Disk);
        }
        m.Unsynced.Clear();
        m.InFlight = null;
        foreach (var msg in ready.Messages)
        {
            if (!(sentEarly && msg.Type is RaftMessageType.App or RaftMessageType.Heartbeat or RaftMessageType.Snap))
            {
                Send(m, msg);
            }
        }
        if (ready.Snapshot is { } snapshot)
        {
            Stats.SnapshotsInstalled++;
            Log($"{m.Id} installs snapshot {snapshot.Index}");
            m.Kv.Restore(snapshot.Data);
            m.LastApplied = snapshot.Index;
            m.LastRevision = m.Kv.Revision;
            m.Conf = snapshot.ConfState;
        }
        foreach (var e in ready.CommittedEntries)
        {
            Apply(m, e);
            if (!m.Up)
            {
                return; // removed from the membership
            }
        }
        foreach (var rs in ready.ReadStates)
        {
            var id = BitConverter.ToInt64(rs.Context);
            if (m.WaitingReadIndex.Remove(id, out var op))
            {
                m.WaitingApply.Add((rs.Index, op));
            }
        }
        m.Raft.Advance();
        for (var i = 0; i < m.WaitingApply.Count; i++)
        {
            var (index, op) = m.WaitingApply[i];
            if (index <= m.LastApplied)
            {
                m.WaitingApply.RemoveAt(i--);
                Complete(op, m.Kv.Get(op.Key));
            }
        }
        if (_mix.Compaction && m.LastApplied >= m.Disk.FirstIndex + SnapshotEvery)
        {
            m.Disk.CreateSnapshot(m.LastApplied, m.Conf, m.Kv.Snapshot());
            m.Disk.Compact(m.LastApplied - SnapshotKeep);
            Stats.Compactions++;
        }
    }

    private void Apply(SimMember m, RaftEntry e)
    {
        if (e.Index != m.LastApplied + 1)
        {
            Violation($"member {m.Id} applied {e.Index} after {m.LastApplied}");
            return;
        }
        m.LastApplied = e.Index;
        var hash = HashCode.Combine(e.Type, Convert.ToHexString(e.Data));
        if (e.Type == RaftEntryType.ConfChange)
        {
            var change = ConfChange.Decode(e.Data);
            m.Conf = m.Raft.ApplyConfChange(change);
            if (change.Type == ConfChangeType.RemoveNode)
            {
                var victim = _members.First(x => x.Id == change.NodeId);
                if (!victim.Removed)
                {
                    Log($"{change.NodeId} removed (applied by {m.Id})");
                    victim.Removed = true;
                    Crash(victim);
                }
            }
            if (_membershipStep < 3 && change == MembershipPlan(_membershipStep))
            {
                _membershipStep++;
            }
        }
        else if (e.Data.Length > 0)
        {
            var (result, ev) = m.Kv.Apply(e.Data);
            if (ev is not null)
            {
                if (ev.Revision != m.LastRevision + 1)
                {
                    Violation($"member {m.Id} watch stream jumped from revision {m.LastRevision} to {ev.Revision}");
                }
                m.LastRevision = ev.Revision;
                if (_watch.TryGetValue(ev.Revision, out var seen))
                {
                    if (seen != ev)
                    {
                        Violation($"member {m.Id} saw {ev} at revision {ev.Revision}; another member saw {seen}");
                    }
                }
                else
                {
                    _watch[ev.Revision] = ev;
                }
            }
            if (m.WaitingWrites.Remove(SimKvStore.OperationId(e.Data), out var op))
            {
                Complete(op, result);
            }
        }
        if (_applied.TryGetValue(e.Index, out var first))
        {
            if (first != (e.Term, hash, m.Kv.Revision))
            {
                Violation($"member {m.Id} applied a different entry at {e.Index}: term {e.Term} revision {m.Kv.Revision}, others term {first.Term} revision {first.Revision}");
            }
        }
        else
        {
            _applied[e.Index] = (e.Term, hash, m.Kv.Revision);
        }
    }

    public override string ToString() => $"seed={_seed} mix={_mix.Name}";
}
