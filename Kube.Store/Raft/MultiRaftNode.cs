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
/// <para>Every <see cref="MultiRaftOptions.SnapshotCount"/> applied entries (and at least half the latest snapshot's size in WAL
/// bytes; see <see cref="MaybeSnapshot"/>) the state is snapshotted into the <see cref="SnapshotStore"/>,
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
        SubmitBatch();
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
}
