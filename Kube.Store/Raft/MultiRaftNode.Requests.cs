using System.Buffers.Binary;
using System.Threading.Channels;
using Kube.Store.Raft.Core;

namespace Kube.Store.Raft;

/// <summary>MultiRaftNode: the callers' requests (proposals, reads, membership changes, queries), how the loop submits them to the core, and their timeouts.</summary>
internal sealed partial class MultiRaftNode
{
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
        if (r.Command is not null)
        {
            _batch.Add(r);
            _batchBytes += r.Command.Length;
            if (_batchBytes >= MaxProposalBatchBytes)
            {
                SubmitBatch();
            }
            return;
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
        else
        {
            accepted = _core.ReadIndex(context);
            if (accepted)
            {
                r.AcceptedTick = _ticks;
                _reading[r.Id] = r;
            }
        }
        if (!accepted)
        {
            _waitingForLeader.Add(r);
        }
    }

    /// <summary>
    /// Proposes every command gathered by <see cref="Submit"/> since the last call as one batch: one append to each follower
    /// (and one acknowledgement back) for all of them, rather than one per proposal.
    /// </summary>
    private void SubmitBatch()
    {
        if (_batch.Count == 0)
        {
            return;
        }
        var data = new byte[_batch.Count][];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = _batch[i].Command!;
        }
        if (_core.Propose(data))
        {
            foreach (var r in _batch)
            {
                r.AcceptedTick = _ticks;
                _proposed[r.Id] = r;
            }
        }
        else
        {
            _waitingForLeader.AddRange(_batch);
        }
        _batch.Clear();
        _batchBytes = 0;
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
            SubmitBatch();
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

    /// <summary>A batch of proposals is cut at this many bytes, so that a follower's forward of it stays well within a peer frame.</summary>
    private const int MaxProposalBatchBytes = 1024 * 1024;

    /// <summary>Proposals submitted in this pass of the loop and not yet handed to the core (<see cref="SubmitBatch"/>).</summary>
    private readonly List<Request> _batch = [];

    private int _batchBytes;

    private sealed class Request(long id, byte[]? command, CancellationToken cancellationToken)
    {
        public ulong Id { get; } = unchecked((ulong)id);

        /// <summary>The log entry's data, <c>[u64 proposal id][command]</c>, built by the caller's thread rather than the loop.</summary>
        public byte[]? Command { get; } = command is null ? null : EntryData(unchecked((ulong)id), command);

        public CancellationToken CancellationToken { get; } = cancellationToken;
        public ulong? TransferTo { get; init; }
        public ConfChange? Change { get; init; }
        public Func<object>? Query { get; init; }
        public long SubmittedTick { get; set; }
        public long AcceptedTick { get; set; }
        public TaskCompletionSource<object> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private static byte[] EntryData(ulong id, byte[] command)
        {
            var data = GC.AllocateUninitializedArray<byte>(8 + command.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(data, id);
            command.CopyTo(data, 8);
            return data;
        }
    }
}
