using System.Buffers.Binary;
using Kube.Store.Raft.Core;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Raft;

/// <summary>MultiRaftNode: handling one Ready of the core (persist, send, apply, serve reads) and applying committed entries.</summary>
internal sealed partial class MultiRaftNode
{
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
            _lastSnapshotBytes = snapshot.Data.Length;
            _walBytesAtSnapshot = _wal.BytesWritten;
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
}
