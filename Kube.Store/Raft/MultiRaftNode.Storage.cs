using Kube.Store.Raft.Core;
using Kube.Store.Wal;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Raft;

/// <summary>MultiRaftNode: recovery from the data dir (snapshot, then the WAL into the core's storage) and periodic snapshots with log compaction.</summary>
internal sealed partial class MultiRaftNode
{
    /// <summary>
    /// Recovers the member from <see cref="MultiRaftOptions.DataDir"/> (latest snapshot, then the WAL into the core's storage), or
    /// bootstraps an empty data dir with the initial members, and starts the loop.
    /// </summary>
    /// <param name="stateAt">When the state machine already holds the state of the snapshot at this index (a single member handing
    /// over to Raft in the same process), the snapshot is not restored into it again.</param>
    public static MultiRaftNode Open(MultiRaftOptions options, IStateMachine stateMachine, IRaftTransport transport, TimeProvider time,
        ILoggerFactory loggers, ulong? stateAt = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stateMachine);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggers);
        var logger = loggers.CreateLogger<MultiRaftNode>();
        var snapshots = new SnapshotStore(Path.Combine(options.DataDir, "snap"), logger);
        byte[]? snapData = null;
        ulong snapIndex = 0, snapTerm = 0;
        if (snapshots.TryLoadLatest(out var index, out var term, out var state))
        {
            using (state)
            {
                snapData = state.ToArray();
            }
            snapIndex = index;
            snapTerm = term;
        }
        var storage = new MemoryRaftStorage();
        var records = 0;
        var logPath = Path.Combine(options.DataDir, "raft", "log");
        var isNew = !File.Exists(logPath);
        var wal = RaftWal.Open(logPath, logger,
            e =>
            {
                storage.Append([e]);
                records++;
            },
            hs => storage.SetHardState(hs),
            (i, t, conf) => storage.ApplySnapshot(new RaftSnapshot(i, t, conf, i == snapIndex ? snapData! : [])));
        try
        {
            var voters = options.InitialMembers.Order().ToArray();
            if (isNew && snapData is null && voters.Length > 0)
            {
                var boot = MemoryRaftStorage.Bootstrap(voters);
                var entries = boot.Entries(boot.FirstIndex, boot.LastIndex + 1, ulong.MaxValue)!;
                storage.Append(entries);
                storage.SetHardState(boot.HardState);
                foreach (var e in entries)
                {
                    wal.Append(e);
                }
                wal.Append(boot.HardState);
                wal.Sync(fsync: true);
            }
            var current = storage.Snapshot();
            if (snapData is not null && (current is null || current.Index < snapIndex))
            {
                // A crash between saving the snapshot and rewriting the log: bring the log up to the snapshot.
                var conf = current?.ConfState is { Voters.Length: > 0 } c ? c : new ConfState(voters, []);
                if (storage.TryTerm(snapIndex, out var t) && t == snapTerm)
                {
                    storage.CreateSnapshot(snapIndex, conf, snapData);
                    storage.Compact(snapIndex);
                }
                else
                {
                    storage.ApplySnapshot(new RaftSnapshot(snapIndex, snapTerm, conf, snapData));
                }
            }
            ulong applied = 0;
            if (storage.Snapshot() is { } snap)
            {
                if (snap.Index != stateAt)
                {
                    stateMachine.RestoreSnapshot(new MemoryStream(snap.Data, writable: false), snap.Index, snap.Term);
                }
                applied = snap.Index;
            }
            logger.LogInformation("Raft member {Member:x} recovered: snapshot index {SnapshotIndex}, {Records} WAL entries, log {First}..{Last}, {HardState}",
                options.MemberId, applied, records, storage.FirstIndex, storage.LastIndex, storage.HardState);
            return new MultiRaftNode(options, stateMachine, transport, time, logger, storage, wal, snapshots, applied);
        }
        catch
        {
            wal.Dispose();
            throw;
        }
    }

    /// <summary>Starts an election now rather than at the election timeout (a one-voter member that has just opened wins at once).</summary>
    public async ValueTask CampaignAsync(CancellationToken cancellationToken)
    {
        var request = new Request(Interlocked.Increment(ref _nextRequestId), null, cancellationToken)
        {
            Query = () =>
            {
                if (_core.Role != RaftRole.Leader)
                {
                    _core.Campaign();
                }
                return 0;
            },
        };
        await EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        await request.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>The WAL is rewritten (compacted behind the latest snapshot) once it is this long, not at every snapshot.</summary>
    internal const long WalRewriteBytes = 64L * 1024 * 1024;

    /// <summary>The snapshot being serialized and written off the loop (its bytes when done); a new snapshot waits for it.</summary>
    private Task<byte[]>? _snapshotSave;

    /// <summary>What <see cref="_snapshotSave"/> is a snapshot of.</summary>
    private (ulong Index, ulong Term, ConfState Conf) _snapshotSaving;

    /// <summary>The WAL's snapshot mark is older than the latest snapshot and must be brought up to it once that snapshot is durable.</summary>
    private bool _walBehindSnapshot;

    /// <summary>WAL bytes written when the latest snapshot was captured, and that snapshot's size (see <see cref="MaybeSnapshot"/>).</summary>
    private long _walBytesAtSnapshot;

    private long _lastSnapshotBytes = -1;

    /// <summary>
    /// Takes a snapshot once <see cref="MultiRaftOptions.SnapshotCount"/> entries have been applied since the latest one <em>and</em> at
    /// least half that snapshot's size has been written to the WAL since (as the single member does): the state is written whole
    /// each time while an entry adds a few hundred bytes, so without the second rule a large state would be rewritten every
    /// <see cref="MultiRaftOptions.SnapshotCount"/> entries, a write amplification that grows with the state.
    /// <para>The loop only captures an immutable image of the state (<see cref="IStateMachine.CaptureSnapshot"/>: one reference per
    /// key); serializing it, writing and fsyncing the file run on the thread pool, so the loop (and every proposal waiting on it)
    /// does not stall on tens of megabytes of writing. Once the file is durable, a later pass of the loop makes it the log's
    /// snapshot and compacts the in-memory log. The WAL keeps every entry until it is rewritten, which happens only when it has
    /// grown past <see cref="WalRewriteBytes"/>; recovery treats a WAL behind the snapshot like a crash between the two (the log is
    /// brought up to the snapshot). Because that recovery takes the membership from the WAL's own snapshot mark, a snapshot with a
    /// membership change behind it is taken wholly on the loop and rewrites the WAL at once.</para>
    /// </summary>
    private void MaybeSnapshot()
    {
        if (_snapshotSave is { } saving)
        {
            if (!saving.IsCompleted)
            {
                return;
            }
            _snapshotSave = null;
            var data = saving.GetAwaiter().GetResult(); // a failed save stops the member, as any other storage error
            var (index, term, conf) = _snapshotSaving;
            _lastSnapshotBytes = data.Length;
            if (index > _storage.FirstIndex - 1 && index <= _storage.LastIndex && _storage.TryTerm(index, out var t) && t == term)
            {
                UseSnapshot(index, conf, data, rewriteWal: _wal.Length > WalRewriteBytes);
            }
            return;
        }
        var latest = _storage.Snapshot();
        if (_lastSnapshotBytes < 0)
        {
            _lastSnapshotBytes = latest?.Data.Length ?? 0;
        }
        var applied = _appliedIndex;
        var due = _options.SnapshotCount > 0 && applied >= (latest?.Index ?? 0) + (ulong)_options.SnapshotCount
            && _wal.BytesWritten - _walBytesAtSnapshot >= _lastSnapshotBytes / 2;
        if (!due && !SnapshotMissesAMember(applied) || applied > _storage.LastIndex)
        {
            return;
        }
        if (!_storage.TryTerm(applied, out var appliedTerm))
        {
            return;
        }
        var write = _stateMachine.CaptureSnapshot();
        _walBytesAtSnapshot = _wal.BytesWritten;
        if (ConfChangeSinceWalMark(applied))
        {
            using var buffer = new MemoryStream();
            write(buffer);
            var data = buffer.ToArray();
            _snapshots.Save(applied, appliedTerm, s => s.Write(data));
            _lastSnapshotBytes = data.Length;
            UseSnapshot(applied, _core.ConfState, data, rewriteWal: true);
            return;
        }
        _snapshotSaving = (applied, appliedTerm, _core.ConfState);
        _snapshotSave = Task.Run(() =>
        {
            // Written straight to the file, then read back into one exact-size array (the log's copy for lagging followers):
            // no growing buffer of the state's size.
            _snapshots.Save(applied, appliedTerm, write);
            return _snapshots.ReadState(applied, appliedTerm);
        });
    }

    /// <summary>
    /// Whether the log's snapshot leaves out a member of the current configuration while entries after it are applied: a member
    /// added after the log was compacted past its own entries can only catch up by a snapshot, and it ignores one that does not
    /// list it (as etcd-io/raft). So a snapshot is taken as soon as such a change is applied, not <see cref="MultiRaftOptions.SnapshotCount"/>
    /// entries later (a single member that has just grown starts with a compacted log).
    /// </summary>
    private bool SnapshotMissesAMember(ulong applied)
    {
        if (_storage.Snapshot() is not { } snapshot || applied <= snapshot.Index)
        {
            return false;
        }
        var conf = _confState;
        return conf.Voters.Any(id => !snapshot.ConfState.Contains(id)) || conf.Learners.Any(id => !snapshot.ConfState.Contains(id));
    }

    /// <summary>Makes a durable snapshot the log's snapshot, compacts the in-memory log behind it and, if asked, rewrites the WAL.</summary>
    private void UseSnapshot(ulong index, ConfState conf, byte[] data, bool rewriteWal)
    {
        var snapshotIndex = _storage.FirstIndex - 1;
        _storage.CreateSnapshot(index, conf, data);
        var compactTo = index > (ulong)_options.CatchUpEntries ? index - (ulong)_options.CatchUpEntries : 0;
        if (compactTo > snapshotIndex)
        {
            _storage.Compact(compactTo);
        }
        FirstLogIndex = _storage.FirstIndex;
        _walBehindSnapshot = true;
        if (rewriteWal)
        {
            RewriteWal();
        }
        _logger.LogInformation("Member {Member:x} snapshotted at index {Index} ({Bytes} bytes); log now {First}..{Last}{Wal}",
            MemberId, index, data.Length, _storage.FirstIndex, _storage.LastIndex, _walBehindSnapshot ? "; WAL rewrite deferred" : "");
    }

    /// <summary>
    /// Whether a membership change lies in the in-memory log up to <paramref name="applied"/>. Entries between the WAL's snapshot mark
    /// and the in-memory log were dropped from memory only by a deferred snapshot, which checked them the same way; the bootstrap
    /// entries are in memory until the first snapshot, which therefore always rewrites the WAL.
    /// </summary>
    private bool ConfChangeSinceWalMark(ulong applied)
    {
        var entries = _storage.Entries(_storage.FirstIndex, applied + 1, ulong.MaxValue) ?? [];
        return entries.Any(e => e.Type == RaftEntryType.ConfChange);
    }

    private void RewriteWal()
    {
        var snapshot = _storage.Snapshot()!;
        var entries = _storage.Entries(_storage.FirstIndex, _storage.LastIndex + 1, ulong.MaxValue) ?? [];
        _wal.Rewrite(snapshot, _storage.HardState, entries);
        _walBehindSnapshot = false;
    }
}
