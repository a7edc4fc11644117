using System.Threading.Channels;
using Kube.Store.Wal;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Raft;

/// <summary>
/// A one-member "Raft": the member is always leader at term 1, and an entry is committed once it is fsynced in the WAL.
/// </summary>
/// <remarks>
/// One writer loop drains the proposal channel: it assigns the next indexes to every waiting proposal, appends them all,
/// fsyncs once (group commit), applies them in order and completes each proposal with its result. Proposals that arrive
/// during the fsync form the next batch. The proposal queue is bounded; when full, proposers wait (back-pressure).
/// <para>Snapshots: once at least <c>snapshotCount</c> entries <em>and</em> at least half the previous snapshot's size in
/// WAL bytes were written since the last one (which bounds the write amplification of a large state), the loop captures
/// the state machine (quick) and a background task writes and fsyncs the snapshot while writes continue. When it is
/// durable, the WAL segments it covers are deleted.</para>
/// </remarks>
internal sealed class SingleMemberRaft : IRaftNode
{
    private const ulong FixedTerm = 1;
    private const int MaxBatch = 4096;

    private readonly IStateMachine _stateMachine;
    private readonly WriteAheadLog _wal;
    private readonly SnapshotStore _snapshots;
    private readonly long _snapshotCount;
    private readonly ILogger _logger;
    private readonly StoreMetrics? _metrics;
    private readonly Channel<Proposal> _proposals;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stopping = new();
    private ulong _commitIndex;
    private ulong _appliedIndex;
    private ulong _snapshotIndex;
    private long _lastSnapshotBytes;
    private long _walBytesAtSnapshot;
    private Task<(ulong Index, long Bytes)>? _snapshotTask;
    private Exception? _fatal;

    private SingleMemberRaft(ulong memberId, IStateMachine stateMachine, WriteAheadLog wal, SnapshotStore snapshots, ulong snapshotIndex,
        long snapshotBytes, long snapshotCount, int queueLength, ILogger logger, StoreMetrics? metrics)
    {
        _lastSnapshotBytes = snapshotBytes;
        _metrics = metrics;
        MemberId = memberId;
        _stateMachine = stateMachine;
        _wal = wal;
        _snapshots = snapshots;
        _snapshotIndex = snapshotIndex;
        _snapshotCount = snapshotCount;
        _logger = logger;
        _commitIndex = _appliedIndex = wal.LastIndex;
        _proposals = Channel.CreateBounded<Proposal>(new BoundedChannelOptions(queueLength)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>
    /// Recovers the state machine from <paramref name="dataDir"/> (latest snapshot + WAL replay) and starts the writer loop.
    /// </summary>
    public static SingleMemberRaft Open(string dataDir, ulong memberId, IStateMachine stateMachine, long snapshotCount, long segmentBytes,
        int queueLength, ILoggerFactory loggers, StoreMetrics? metrics = null)
    {
        var logger = loggers.CreateLogger<SingleMemberRaft>();
        var snapshots = new SnapshotStore(Path.Combine(dataDir, "snap"), logger);
        ulong snapshotIndex = 0, snapshotTerm = 0;
        long snapshotBytes = 0;
        if (snapshots.TryLoadLatest(out var index, out var term, out var state))
        {
            snapshotBytes = state.Length;
            using (state)
            {
                stateMachine.RestoreSnapshot(state, index, term);
            }
            snapshotIndex = index;
            snapshotTerm = term;
        }
        var replayed = 0L;
        var wal = WriteAheadLog.Open(Path.Combine(dataDir, "wal"), snapshotIndex, segmentBytes, loggers.CreateLogger<WriteAheadLog>(), entry =>
        {
            if (entry.Data.IsEmpty)
            {
                stateMachine.ApplyEmpty(entry.Index, entry.Term);
            }
            else
            {
                stateMachine.Apply(entry.Index, entry.Term, entry.Data.Span);
            }
            replayed++;
        });
        if (wal.LastIndex == snapshotIndex)
        {
            stateMachine.ApplyEmpty(snapshotIndex, Math.Max(snapshotTerm, FixedTerm));
        }
        logger.LogInformation("Recovered store: snapshot index {SnapshotIndex}, {Replayed} WAL entries replayed, last index {LastIndex}",
            snapshotIndex, replayed, wal.LastIndex);
        return new SingleMemberRaft(memberId, stateMachine, wal, snapshots, snapshotIndex, snapshotBytes, snapshotCount, queueLength, logger, metrics);
    }

    /// <summary>The only member is always the leader and acknowledges a write only once applied, so memory is up to date.</summary>
    public ValueTask<ulong> ReadIndexAsync(CancellationToken cancellationToken) => ValueTask.FromResult(AppliedIndex);

    public ulong MemberId { get; }

    public ulong LeaderId => MemberId;

    public ulong Term => FixedTerm;

    public ulong CommitIndex => Volatile.Read(ref _commitIndex);

    public ulong AppliedIndex => Volatile.Read(ref _appliedIndex);

    public async ValueTask<object> ProposeAsync(byte[] command, CancellationToken cancellationToken)
    {
        if (_fatal is not null)
        {
            throw new StoreException(StoreErrorCode.Stopped);
        }
        var proposal = new Proposal(command, cancellationToken);
        try
        {
            await _proposals.Writer.WriteAsync(proposal, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new StoreException(StoreErrorCode.Stopped);
        }
        return await proposal.Completion.Task.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<Proposal>(MaxBatch);
        var reader = _proposals.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && reader.TryRead(out var p))
                {
                    if (p.CancellationToken.IsCancellationRequested)
                    {
                        p.Completion.TrySetCanceled(p.CancellationToken);
                        continue;
                    }
                    batch.Add(p);
                }
                if (batch.Count == 0)
                {
                    continue;
                }
                var first = _wal.LastIndex + 1;
                foreach (var p in batch)
                {
                    _wal.Append(_wal.LastIndex + 1, FixedTerm, p.Command);
                }
                var syncStart = System.Diagnostics.Stopwatch.GetTimestamp();
                _wal.Sync();
                _metrics?.FsyncDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(syncStart).TotalSeconds);
                _metrics?.BatchEntries.Record(batch.Count);
                Volatile.Write(ref _commitIndex, _wal.LastIndex);

                for (var i = 0; i < batch.Count; i++)
                {
                    var index = first + (ulong)i;
                    object result;
                    try
                    {
                        result = _stateMachine.Apply(index, FixedTerm, batch[i].Command);
                    }
                    catch (Exception ex)
                    {
                        // Apply must be deterministic and total; an exception here means the state machine is broken.
                        _logger.LogCritical(ex, "Applying log entry {Index} failed; the store stops", index);
                        throw;
                    }
                    Volatile.Write(ref _appliedIndex, index);
                    batch[i].Completion.TrySetResult(result);
                }
                _metrics?.Applied.Add(batch.Count);
                batch.Clear();

                CompleteSnapshot();
                if (_snapshotTask is null && _snapshotCount > 0 && _appliedIndex - _snapshotIndex >= (ulong)_snapshotCount
                    && _wal.BytesWritten - _walBytesAtSnapshot >= _lastSnapshotBytes / 2)
                {
                    StartSnapshot();
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _fatal = ex;
            _logger.LogCritical(ex, "The store's write loop failed; writes are refused from now on");
            foreach (var p in batch)
            {
                p.Completion.TrySetException(new StoreException(StoreErrorCode.Stopped));
            }
            _proposals.Writer.TryComplete();
        }
        while (reader.TryRead(out var left))
        {
            left.Completion.TrySetException(new StoreException(StoreErrorCode.Stopped));
        }
    }

    private void StartSnapshot()
    {
        var index = _appliedIndex;
        var write = _stateMachine.CaptureSnapshot();
        _walBytesAtSnapshot = _wal.BytesWritten;
        _snapshotTask = Task.Run(() =>
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var bytes = _snapshots.Save(index, FixedTerm, write);
            _metrics?.SnapshotDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
            return (index, bytes);
        });
    }

    /// <summary>On the writer loop: once a background snapshot is durable, drop the WAL segments it covers.</summary>
    private void CompleteSnapshot()
    {
        if (_snapshotTask is not { IsCompleted: true } task)
        {
            return;
        }
        _snapshotTask = null;
        if (task.IsCompletedSuccessfully)
        {
            var (index, bytes) = task.Result;
            _snapshotIndex = index;
            _lastSnapshotBytes = bytes;
            var released = _wal.ReleaseTo(index);
            _logger.LogInformation("Snapshot at index {Index} ({Bytes} bytes); released {Segments} WAL segments", index, bytes, released);
        }
        else
        {
            _logger.LogError(task.Exception, "Writing a snapshot failed; the WAL keeps every entry and a later snapshot will retry");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _proposals.Writer.TryComplete();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "The write loop ended with an error");
        }
        if (_snapshotTask is { } snapshot)
        {
            try
            {
                await snapshot.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogDebug(ex, "The last snapshot failed");
            }
            if (_fatal is null)
            {
                CompleteSnapshot();
            }
        }
        _stopping.Dispose();
        _wal.Dispose();
    }

    private sealed class Proposal(byte[] command, CancellationToken cancellationToken)
    {
        public byte[] Command { get; } = command;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public TaskCompletionSource<object> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
