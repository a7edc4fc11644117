using System.Buffers.Binary;
using System.Threading.Channels;
using Kube.Store.Raft.Core;
using Kube.Store.Wal;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Raft;

/// <summary>
/// The I/O shell around the pure <see cref="RaftNode"/>: one loop task owns the core, its storage, the WAL and the state machine.
/// </summary>
/// <remarks>
/// <para>Inputs reach the loop through queues: ticks (a <see cref="TimeProvider"/> timer every <see cref="MultiRaftOptions.TickInterval"/>),
/// inbound messages (bounded; dropped when full, Raft retransmits), proposals and reads (bounded; callers wait when full).</para>
/// <para>For each Ready, in etcd-io/raft's order: the snapshot, entries and HardState go to the <see cref="RaftWal"/> with one fsync
/// (group commit: every proposal drained in this round shares it); then messages go to the <see cref="IRaftTransport"/>; then the
/// snapshot and committed entries are applied to the <see cref="IStateMachine"/> in order; then <see cref="RaftNode.Advance"/>.
/// A leader sends its messages before its own fsync (as etcd), so that followers persist in parallel; the core counts the leader's
/// entries towards commit only once they are persisted. Other members send after the fsync.</para>
/// <para>An entry's data is <c>[u64 proposal id][command]</c>; the member that proposed it completes the caller when it applies the
/// entry. At a follower the core forwards proposals to the leader. With no leader, a proposal is retried every tick and fails
/// with <see cref="StoreErrorCode.NoLeader"/> after <see cref="MultiRaftOptions.NoLeaderTicks"/>.</para>
/// <para>Linearizable reads: <see cref="ReadIndexAsync"/> asks the core for a read index and completes once applied ≥ it.</para>
/// <para>Every <see cref="MultiRaftOptions.SnapshotCount"/> applied entries the state is snapshotted into the <see cref="SnapshotStore"/>,
/// the log is compacted (keeping <see cref="MultiRaftOptions.CatchUpEntries"/>) and the WAL rewritten. Recovery loads the latest
/// snapshot and replays the WAL into the core's storage; the core then re-applies the committed entries after the snapshot.</para>
/// </remarks>
internal sealed partial class MultiRaftNode : IRaftNode
{
    private readonly MultiRaftOptions _options;
    private readonly IStateMachine _stateMachine;
    private readonly IRaftTransport _transport;
    private readonly ILogger _logger;
    private readonly MemoryRaftStorage _storage;
    private readonly RaftWal _wal;
    private readonly SnapshotStore _snapshots;
    private readonly RaftNode _core;
    private readonly Channel<Request> _requests;
    private readonly Channel<RaftMessage> _inbound;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Queue<(ulong Id, bool Delivered)> _snapshotReports = new();
    private readonly Dictionary<ulong, Request> _proposed = [];
    private readonly Dictionary<ulong, Request> _reading = [];
    private readonly List<Request> _waitingForLeader = [];
    private readonly List<(ulong Index, Request Read)> _readsToServe = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _ticker;
    private readonly Task _loop;
    private long _nextRequestId;
    private int _pendingTicks;
    private long _ticks;
    private ulong _leaderId;
    private ulong _term;
    private ulong _commitIndex;
    private ulong _appliedIndex;
    private int _role;
    private Exception? _fatal;

    private MultiRaftNode(MultiRaftOptions options, IStateMachine stateMachine, IRaftTransport transport, TimeProvider time, ILogger logger,
        MemoryRaftStorage storage, RaftWal wal, SnapshotStore snapshots, ulong applied)
    {
        _options = options;
        _stateMachine = stateMachine;
        _transport = transport;
        _logger = logger;
        _storage = storage;
        _wal = wal;
        _snapshots = snapshots;
        _appliedIndex = applied;
        _core = new RaftNode(new RaftConfig
        {
            Id = options.MemberId,
            Storage = storage,
            Random = new Random(options.Seed ?? (int)options.MemberId),
            ElectionTick = options.ElectionTicks,
            HeartbeatTick = options.HeartbeatTicks,
            Applied = applied,
        });
        _term = _core.Term;
        _confState = _core.ConfState;
        // Proposal ids are unique across members and restarts: a random 64-bit start, then a counter.
        _nextRequestId = Random.Shared.NextInt64();
        _requests = Channel.CreateBounded<Request>(new BoundedChannelOptions(options.ProposalQueueLength)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _inbound = Channel.CreateBounded<RaftMessage>(new BoundedChannelOptions(options.InboundQueueLength)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        transport.Register(options.MemberId, m =>
        {
            if (!_inbound.Writer.TryWrite(m))
            {
                var dropped = Interlocked.Increment(ref _droppedInbound);
                if (dropped == 1 || dropped % 1000 == 0)
                {
                    _logger.LogWarning("Member {Member:x} dropped {Count} inbound Raft messages so far: its inbound queue ({Length}) was full", MemberId, dropped,
                        options.InboundQueueLength);
                }
            }
            Wake();
        });
        _ticker = time.CreateTimer(_ =>
        {
            Interlocked.Increment(ref _pendingTicks);
            Wake();
        }, null, options.TickInterval, options.TickInterval);
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public ulong MemberId => _options.MemberId;

    public ulong LeaderId => Volatile.Read(ref _leaderId);

    public ulong Term => Volatile.Read(ref _term);

    public ulong CommitIndex => Volatile.Read(ref _commitIndex);

    public ulong AppliedIndex => Volatile.Read(ref _appliedIndex);

    /// <summary>This member's role as of its last Ready.</summary>
    public RaftRole Role => (RaftRole)Volatile.Read(ref _role);

    /// <summary>The membership as of the last applied configuration change (read on the loop; a copy).</summary>
    public ConfState ConfState => Volatile.Read(ref _confState);

    private ConfState _confState = ConfState.Empty;

    /// <summary>Snapshots received from a leader and installed since this member started.</summary>
    public int SnapshotsInstalled => Volatile.Read(ref _snapshotsInstalled);

    private int _snapshotsInstalled;

    /// <summary>Inbound messages dropped because the inbound queue was full (Raft retransmits them).</summary>
    public long DroppedInbound => Interlocked.Read(ref _droppedInbound);

    private long _droppedInbound;

    /// <summary>The first index still in the log (entries before it are only in the snapshot).</summary>
    public ulong FirstLogIndex { get; private set; }

    public async ValueTask<object> ProposeAsync(byte[] command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var request = new Request(Interlocked.Increment(ref _nextRequestId), command, cancellationToken);
        await EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        return await request.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// A linearizable read point: completes (with the read index) once this member has applied everything the leader had
    /// committed when the read was confirmed by a quorum. Serve the read from the state machine afterwards.
    /// </summary>
    public async ValueTask<ulong> ReadIndexAsync(CancellationToken cancellationToken)
    {
        var request = new Request(Interlocked.Increment(ref _nextRequestId), null, cancellationToken);
        await EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        return (ulong)await request.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Proposes one membership change (one at a time, as etcd: while another is not applied yet the proposal waits and is retried
    /// each tick). Completes with the membership after the change once its entry is applied here. <see cref="ConfChange.Context"/>
    /// reaches <see cref="IStateMachine.ApplyConfChange"/> on every member.
    /// </summary>
    public async ValueTask<ConfState> ProposeConfChangeAsync(ConfChange change, CancellationToken cancellationToken)
    {
        var request = new Request(Interlocked.Increment(ref _nextRequestId), null, cancellationToken) { Change = change };
        await EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        return (ConfState)await request.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// etcd's isLearnerReady, answered by the loop: null when this member is not the leader (only the leader knows the learner's
    /// progress); otherwise whether learner <paramref name="memberId"/> has matched at least 90% of the leader's log (true when it is
    /// not in the progress table, as etcd).
    /// </summary>
    public async ValueTask<bool?> IsLearnerReadyAsync(ulong memberId, CancellationToken cancellationToken)
    {
        var request = new Request(Interlocked.Increment(ref _nextRequestId), null, cancellationToken)
        {
            Query = () =>
            {
                if (_core.Role != RaftRole.Leader || !_core.Progress.TryGetValue(MemberId, out var self))
                {
                    return -1;
                }
                return !_core.Progress.TryGetValue(memberId, out var learner) || learner.Match >= self.Match * 0.9 ? 1 : 0;
            },
        };
        await EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        return (int)await request.Completion.Task.ConfigureAwait(false) switch { -1 => null, 0 => false, _ => true };
    }

    /// <summary>Asks the leader to hand leadership to <paramref name="memberId"/>.</summary>
    public ValueTask TransferLeadershipAsync(ulong memberId, CancellationToken cancellationToken) =>
        EnqueueAsync(new Request(0, null, cancellationToken) { TransferTo = memberId }, cancellationToken);

    private async ValueTask EnqueueAsync(Request request, CancellationToken cancellationToken)
    {
        if (_fatal is not null || _stopping.IsCancellationRequested)
        {
            throw new StoreException(StoreErrorCode.Stopped);
        }
        try
        {
            await _requests.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new StoreException(StoreErrorCode.Stopped);
        }
        Wake();
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                Drain();
                await _wake.Reader.ReadAsync(_stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _fatal = ex;
            _logger.LogCritical(ex, "The Raft loop of member {Member:x} failed; the member stops", MemberId);
            _requests.Writer.TryComplete();
        }
        FailAll(new StoreException(StoreErrorCode.Stopped));
    }

    private void Drain()
    {
        var ticks = Interlocked.Exchange(ref _pendingTicks, 0);
        for (var i = 0; i < ticks; i++)
        {
            _core.Tick();
            _ticks++;
        }
        while (_inbound.Reader.TryRead(out var m))
        {
            _core.Step(m);
        }
        lock (_snapshotReports)
        {
            while (_snapshotReports.TryDequeue(out var report))
            {
                _core.ReportSnapshot(report.Id, report.Delivered);
            }
        }
        if (ticks > 0)
        {
            ExpireRequests();
        }
        List<Request>? reads = null;
        while (_requests.Reader.TryRead(out var r))
        {
            if (r.Command is null && r.Change is null && r.TransferTo is null && r.Query is null)
            {
                (reads ??= []).Add(r);
                continue;
            }
            Submit(r, retry: false);
        }
        if (reads is not null)
        {
            // One ReadIndex round (one heartbeat to the followers) serves every read drained in this pass, as etcd batches them.
            Submit(reads.Count == 1 ? reads[0] : BatchReads(reads), retry: false);
        }
        while (_core.HasReady)
        {
            HandleReady(_core.Ready());
        }
        MaybeSnapshot();
    }

    private Request BatchReads(List<Request> reads)
    {
        var batch = new Request(Interlocked.Increment(ref _nextRequestId), null, CancellationToken.None);
        batch.Completion.Task.ContinueWith(t =>
        {
            foreach (var read in reads)
            {
                if (t.IsCompletedSuccessfully)
                {
                    read.Completion.TrySetResult(t.Result);
                }
                else if (t.Exception is { } ex)
                {
                    read.Completion.TrySetException(ex.InnerException ?? ex);
                }
                else
                {
                    read.Completion.TrySetCanceled();
                }
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return batch;
    }

    private void Submit(Request r, bool retry)
    {
        if (r.CancellationToken.IsCancellationRequested)
        {
            r.Completion.TrySetCanceled(r.CancellationToken);
            return;
        }
        if (r.Query is { } query)
        {
            r.Completion.TrySetResult(query());
            return;
        }
        if (r.TransferTo is { } to)
        {
            _core.TransferLeadership(to);
            r.Completion.TrySetResult(to);
            return;
        }
        if (!retry)
        {
            r.SubmittedTick = _ticks;
        }
        bool accepted;
        var context = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(context, r.Id);
        if (r.Change is { } change)
        {
            var payload = new byte[8 + (change.Context?.Length ?? 0)];
            context.CopyTo(payload, 0);
            change.Context?.CopyTo(payload, 8);
            accepted = _core.ProposeConfChange(change with { Context = payload });
            if (accepted)
            {
                r.AcceptedTick = _ticks;
                _proposed[r.Id] = r;
            }
        }
        else if (r.Command is null)
        {
            accepted = _core.ReadIndex(context);
            if (accepted)
            {
                r.AcceptedTick = _ticks;
                _reading[r.Id] = r;
            }
        }
        else
        {
            var data = new byte[8 + r.Command.Length];
            context.CopyTo(data, 0);
            r.Command.CopyTo(data, 8);
            accepted = _core.Propose(data);
            if (accepted)
            {
                r.AcceptedTick = _ticks;
                _proposed[r.Id] = r;
            }
        }
        if (!accepted)
        {
            _waitingForLeader.Add(r);
        }
    }

    private void ExpireRequests()
    {
        if (_waitingForLeader.Count > 0)
        {
            var waiting = _waitingForLeader.ToArray();
            _waitingForLeader.Clear();
            foreach (var r in waiting)
            {
                if (_ticks - r.SubmittedTick >= _options.NoLeaderTicks)
                {
                    r.Completion.TrySetException(new StoreException(StoreErrorCode.NoLeader));
                }
                else
                {
                    Submit(r, retry: true);
                }
            }
        }
        Expire(_proposed);
        Expire(_reading);
    }

    private void Expire(Dictionary<ulong, Request> requests)
    {
        List<ulong>? expired = null;
        foreach (var (id, r) in requests)
        {
            if (_ticks - r.AcceptedTick >= _options.ProposalTimeoutTicks || r.CancellationToken.IsCancellationRequested && r.Command is null && r.Change is null)
            {
                (expired ??= []).Add(id);
            }
        }
        foreach (var id in expired ?? [])
        {
            requests.Remove(id, out var r);
            if (r!.CancellationToken.IsCancellationRequested)
            {
                r.Completion.TrySetCanceled(r.CancellationToken);
            }
            else
            {
                r.Completion.TrySetException(new StoreException(StoreErrorCode.Timeout));
            }
        }
    }

    private void HandleReady(RaftReady rd)
    {
        var leaderChanged = false;
        if (rd.SoftState is { } soft)
        {
            leaderChanged = soft.Lead != _leaderId && _leaderId != 0;
            Volatile.Write(ref _leaderId, soft.Lead);
            Volatile.Write(ref _role, (int)soft.Role);
        }

        // 0. A leader sends before its own fsync (as etcd): its entries count towards commit only once persisted (Advance),
        // so the followers' fsyncs overlap with its own. Not when its term or vote changes in this Ready.
        var stored = _storage.HardState;
        var sendFirst = _core.Role == RaftRole.Leader && rd.Snapshot is null
            && (rd.HardState is not { } next || next.Term == stored.Term && next.Vote == stored.Vote);
        if (sendFirst)
        {
            foreach (var m in rd.Messages)
            {
                Send(m);
            }
        }

        // 1. Persist: snapshot, entries, HardState; one fsync.
        if (rd.Snapshot is { } snapshot)
        {
            // A snapshot of our own may still be being written: finish it first (the store keeps the newest files).
            _snapshotSave?.Wait();
            _snapshotSave = null;
            _snapshots.Save(snapshot.Index, snapshot.Term, s => s.Write(snapshot.Data));
            _storage.ApplySnapshot(snapshot);
            _wal.Rewrite(snapshot, rd.HardState ?? _storage.HardState, []);
            _walBehindSnapshot = false;
        }
        if (rd.Entries.Count > 0)
        {
            foreach (var e in rd.Entries)
            {
                _wal.Append(e);
            }
            _storage.Append(rd.Entries);
        }
        if (rd.HardState is { } hard)
        {
            _wal.Append(hard);
            _storage.SetHardState(hard);
            Volatile.Write(ref _term, hard.Term);
        }
        _wal.Sync(rd.MustSync);

        // 2. Send (a follower only after its fsync: its acknowledgements promise durability).
        if (!sendFirst)
        {
            foreach (var m in rd.Messages)
            {
                Send(m);
            }
        }

        // 3. Apply.
        if (rd.Snapshot is { } applied)
        {
            _stateMachine.RestoreSnapshot(new MemoryStream(applied.Data, writable: false), applied.Index, applied.Term);
            Volatile.Write(ref _appliedIndex, applied.Index);
            Interlocked.Increment(ref _snapshotsInstalled);
            Volatile.Write(ref _confState, applied.ConfState);
            _logger.LogInformation("Member {Member:x} installed a snapshot at index {Index} (term {Term})", MemberId, applied.Index, applied.Term);
        }
        foreach (var e in rd.CommittedEntries)
        {
            Apply(e);
            Volatile.Write(ref _appliedIndex, e.Index);
        }
        Volatile.Write(ref _commitIndex, _core.Committed);
        foreach (var rs in rd.ReadStates)
        {
            var id = BinaryPrimitives.ReadInt64LittleEndian(rs.Context);
            if (_reading.Remove(unchecked((ulong)id), out var read))
            {
                _readsToServe.Add((rs.Index, read));
            }
        }
        ServeReads();
        if (leaderChanged)
        {
            // Proposals and reads forwarded to the old leader may be lost with it: fail them now (their outcome is unknown, as
            // after a timeout) rather than at the proposal timeout, so clients retry against the new leader at once.
            FailPending(new StoreException(StoreErrorCode.LeaderChanged));
        }

        // 4. Advance.
        _core.Advance();
        FirstLogIndex = _storage.FirstIndex;
    }

    private void Send(RaftMessage m)
    {
        ValueTask sent;
        try
        {
            sent = _transport.SendAsync(m, _stopping.Token);
        }
        catch (Exception ex)
        {
            sent = ValueTask.FromException(ex);
        }
        if (m.Snapshot is null)
        {
            if (!sent.IsCompletedSuccessfully)
            {
                _ = Observe(sent.AsTask());
            }
            return;
        }
        _ = ReportSnapshotAsync(m.To, sent.AsTask());
    }

    private async Task Observe(Task send)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "A Raft message was not delivered");
        }
    }

    private async Task ReportSnapshotAsync(ulong to, Task send)
    {
        var delivered = true;
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            delivered = false;
            _logger.LogInformation(ex, "Sending a snapshot to member {Member:x} failed", to);
        }
        lock (_snapshotReports)
        {
            _snapshotReports.Enqueue((to, delivered));
        }
        Wake();
    }

    private void Apply(RaftEntry e)
    {
        if (e.Type == RaftEntryType.ConfChange)
        {
            var cc = ConfChange.Decode(e.Data);
            ulong proposalId = 0;
            byte[]? userContext = null;
            if (cc.Context is { Length: >= 8 } ctx)
            {
                proposalId = BinaryPrimitives.ReadUInt64LittleEndian(ctx);
                userContext = ctx.Length > 8 ? ctx[8..] : null;
            }
            var conf = _core.ApplyConfChange(cc);
            Volatile.Write(ref _confState, conf);
            _stateMachine.ApplyConfChange(e.Index, e.Term, cc with { Context = userContext }, conf);
            _logger.LogInformation("Member {Member:x} applied {Change} of member {Target:x} at index {Index}: {Conf}", MemberId, cc.Type, cc.NodeId, e.Index, conf);
            if (proposalId != 0 && _proposed.Remove(proposalId, out var changer))
            {
                changer.Completion.TrySetResult(conf);
            }
            return;
        }
        if (e.Data.Length == 0)
        {
            _stateMachine.ApplyEmpty(e.Index, e.Term);
            return;
        }
        if (e.Data.Length < 8)
        {
            throw new InvalidDataException($"Log entry {e.Index} is {e.Data.Length} bytes: too short for a proposal id.");
        }
        var id = unchecked((ulong)BinaryPrimitives.ReadInt64LittleEndian(e.Data));
        object result;
        try
        {
            result = _stateMachine.Apply(e.Index, e.Term, e.Data.AsSpan(8));
        }
        catch (Exception ex)
        {
            _logger.LogCritical(ex, "Applying log entry {Index} failed; the member stops", e.Index);
            throw;
        }
        if (_proposed.Remove(id, out var proposal))
        {
            proposal.Completion.TrySetResult(result);
        }
    }

    private void ServeReads()
    {
        if (_readsToServe.Count == 0)
        {
            return;
        }
        var applied = _appliedIndex;
        for (var i = _readsToServe.Count - 1; i >= 0; i--)
        {
            if (_readsToServe[i].Index <= applied)
            {
                _readsToServe[i].Read.Completion.TrySetResult(_readsToServe[i].Index);
                _readsToServe.RemoveAt(i);
            }
        }
    }

    private void FailPending(Exception error)
    {
        foreach (var r in _proposed.Values.Concat(_reading.Values))
        {
            r.Completion.TrySetException(error);
        }
        _proposed.Clear();
        _reading.Clear();
    }

    private void FailAll(Exception error)
    {
        foreach (var r in _proposed.Values.Concat(_reading.Values).Concat(_waitingForLeader).Concat(_readsToServe.Select(x => x.Read)))
        {
            r.Completion.TrySetException(error);
        }
        _proposed.Clear();
        _reading.Clear();
        _waitingForLeader.Clear();
        _readsToServe.Clear();
        while (_requests.Reader.TryRead(out var left))
        {
            left.Completion.TrySetException(error);
        }
    }

    /// <summary>Stops the loop at once (like a crash: nothing more is written; what was fsynced stays) and fails waiting callers with <see cref="StoreErrorCode.Stopped"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        _transport.Unregister(MemberId);
        await _ticker.DisposeAsync().ConfigureAwait(false);
        _requests.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "The Raft loop ended with an error");
        }
        try
        {
            if (_snapshotSave is { } saving)
            {
                await saving.ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Writing the last snapshot failed; the WAL still holds its entries");
        }
        _wal.Dispose();
        _stopping.Dispose();
    }

    private sealed class Request(long id, byte[]? command, CancellationToken cancellationToken)
    {
        public ulong Id { get; } = unchecked((ulong)id);
        public byte[]? Command { get; } = command;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public ulong? TransferTo { get; init; }
        public ConfChange? Change { get; init; }
        public Func<object>? Query { get; init; }
        public long SubmittedTick { get; set; }
        public long AcceptedTick { get; set; }
        public TaskCompletionSource<object> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
