using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Kube.Store.Raft;

namespace Kube.Store.Mvcc;

/// <summary>
/// The MVCC state machine: key index with per-key history, the revision-ordered event history that feeds
/// watches, leases, and the watcher hub. Commands are applied one at a time in log order under the write lock
/// (in memory, after they are durable); reads take the read lock and never wait for an fsync.
/// </summary>
/// <remarks>
/// Revisions follow etcd: the empty store is at revision 1; every txn that changes something gets the next main
/// revision and its operations get sub-revisions 0, 1, ...; a txn that changes nothing keeps the revision.
/// </remarks>
internal sealed class MvccState : IStateMachine, IDisposable
{
    /// <summary>etcd's minimum lease TTL with default election settings: ceil(1.5 x 1 s election timeout).</summary>
    public const long MinLeaseTtl = 2;

    /// <summary>etcd's maximum lease TTL in seconds (<c>MaxLeaseTTL</c>, about 285 years).</summary>
    public const long MaxLeaseTtl = 9_000_000_000;

    private static readonly KeyHistoryComparer OrderComparer = new();

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly SortedSet<KeyHistory> _ordered = new(OrderComparer);
    private readonly Dictionary<byte[], KeyHistory> _byKey = new(ByteKeyComparer.Instance);
    private readonly List<RevisionRecord> _history = [];
    private readonly Dictionary<long, StoreLease> _leases = [];
    private readonly List<Watcher> _watchers = [];
    private readonly TimeProvider _time;
    private readonly ulong _clusterId;
    private readonly ulong _memberId;
    private readonly int _watchBufferSize;

    private long _revision = 1;
    private long _compactRevision;
    private long _dbSize;
    private ulong _raftTerm;
    private ulong _appliedIndex;
    private bool _stopped;
    private int _watcherCount;

    public MvccState(TimeProvider time, ulong clusterId, ulong memberId, int watchBufferSize)
    {
        _time = time;
        _clusterId = clusterId;
        _memberId = memberId;
        _watchBufferSize = watchBufferSize;
    }

    public ulong ClusterId => _clusterId;
    public ulong MemberId => _memberId;

    public long Revision => Volatile.Read(ref _revision);
    public long CompactRevision => Volatile.Read(ref _compactRevision);
    public long DbSize => Volatile.Read(ref _dbSize);
    public ulong AppliedIndex => Volatile.Read(ref _appliedIndex);
    public ulong RaftTerm => Volatile.Read(ref _raftTerm);

    /// <summary>Open watches (read without the lock; approximate).</summary>
    public int WatcherCount => Volatile.Read(ref _watcherCount);

    public ResponseHeader Header(long revision) => new(_clusterId, _memberId, revision, Volatile.Read(ref _raftTerm));

    public ResponseHeader CurrentHeader() => Header(Revision);

    // ---------------------------------------------------------------- apply

    /// <summary>Applies one committed log entry. Returns the command's result, or a <see cref="StoreException"/> it failed with (deterministically).</summary>
    public object Apply(ulong index, ulong term, ReadOnlySpan<byte> data)
    {
        var command = CommandCodec.Decode(data);
        _lock.EnterWriteLock();
        try
        {
            Volatile.Write(ref _raftTerm, term);
            Volatile.Write(ref _appliedIndex, index);
            try
            {
                return command switch
                {
                    TxnCommand t => ApplyTxn(t.Txn),
                    CompactCommand c => ApplyCompact(c.Revision),
                    LeaseGrantCommand g => ApplyLeaseGrant(g.Id, g.Ttl),
                    LeaseRevokeCommand r => ApplyLeaseRevoke(r.Id),
                    LeaseKeepAliveCommand k => ApplyLeaseKeepAlive(k.Id),
                    _ => throw new InvalidOperationException("Unknown command."),
                };
            }
            catch (StoreException ex)
            {
                return ex;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Records an applied index that carried no command (e.g. a Raft no-op entry).</summary>
    public void ApplyEmpty(ulong index, ulong term)
    {
        Volatile.Write(ref _raftTerm, term);
        Volatile.Write(ref _appliedIndex, index);
    }

    private TxnResult ApplyTxn(TxnRequest txn)
    {
        var ctx = new TxnContext(_revision + 1);
        var (succeeded, responses) = ExecuteTxn(txn, ctx, topLevel: true);
        if (ctx.Events.Count > 0)
        {
            Commit(ctx);
        }
        var header = Header(_revision);
        return new TxnResult(header, succeeded, FixHeaders(responses, header));
    }

    /// <remarks>
    /// Only the top level prechecks (covering nested txns on both branches), before anything changes; from then on
    /// every operation is total, so a txn never fails half-applied.
    /// </remarks>
    private (bool Succeeded, ResponseOp[] Responses) ExecuteTxn(TxnRequest txn, TxnContext ctx, bool topLevel)
    {
        var succeeded = true;
        foreach (var c in txn.Compares)
        {
            if (!Evaluate(c))
            {
                succeeded = false;
                break;
            }
        }
        var ops = succeeded ? txn.Success : txn.Failure;
        if (topLevel)
        {
            Precheck(ops);
        }
        var responses = new ResponseOp[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            if (op.Range is { } range)
            {
                responses[i] = new ResponseOp { Range = RangeLocked(range, default) };
            }
            else if (op.Put is { } put)
            {
                responses[i] = new ResponseOp { Put = ApplyPut(put, ctx) };
            }
            else if (op.DeleteRange is { } del)
            {
                responses[i] = new ResponseOp { DeleteRange = ApplyDelete(del, ctx) };
            }
            else if (op.Txn is { } nested)
            {
                var (ok, nestedResponses) = ExecuteTxn(nested, ctx, topLevel: false);
                responses[i] = new ResponseOp { Txn = new TxnResult(default, ok, nestedResponses) };
            }
        }
        return (succeeded, responses);
    }

    /// <summary>Checks a branch before any of it runs, so that a txn fails whole or not at all.</summary>
    /// <remarks>Nested txns are checked on both of their branches (conservative).</remarks>
    private void Precheck(IReadOnlyList<RequestOp> ops)
    {
        foreach (var op in ops)
        {
            if (op.Put is { } put)
            {
                if (!put.IgnoreLease && put.Lease != 0 && !_leases.ContainsKey(put.Lease))
                {
                    throw new StoreException(StoreErrorCode.LeaseNotFound);
                }
                if ((put.IgnoreValue || put.IgnoreLease) && (!_byKey.TryGetValue(put.Key, out var h) || h.Latest is null))
                {
                    throw new StoreException(StoreErrorCode.KeyNotFound);
                }
            }
            else if (op.Range is { } range)
            {
                CheckRevision(range.Revision);
            }
            else if (op.Txn is { } nested)
            {
                Precheck(nested.Success);
                Precheck(nested.Failure);
            }
        }
    }

    private static ResponseOp[] FixHeaders(ResponseOp[] responses, ResponseHeader header)
    {
        for (var i = 0; i < responses.Length; i++)
        {
            var r = responses[i];
            responses[i] = r switch
            {
                { Range: { } x } => new ResponseOp { Range = x with { Header = header } },
                { Put: { } x } => new ResponseOp { Put = x with { Header = header } },
                { DeleteRange: { } x } => new ResponseOp { DeleteRange = x with { Header = header } },
                { Txn: { } x } => new ResponseOp { Txn = x with { Header = header, Responses = FixHeaders((ResponseOp[])x.Responses, header) } },
                _ => r,
            };
        }
        return responses;
    }

    private PutResult ApplyPut(PutRequest put, TxnContext ctx)
    {
        if (!_byKey.TryGetValue(put.Key, out var h))
        {
            h = new KeyHistory(put.Key);
            _byKey.Add(put.Key, h);
            _ordered.Add(h);
        }
        var prev = h.Latest;
        // Prechecked against the state before the txn; if an earlier operation of the same txn deleted the key, fall back
        // to the request's own value and lease rather than fail half-way (the API refuses such txns as duplicate keys).
        var value = put.IgnoreValue && prev is not null ? prev.Value : put.Value;
        var lease = put.IgnoreLease && prev is not null ? prev.Lease : put.Lease;
        var kv = new KeyValue(h.Key, value, prev?.CreateRevision ?? ctx.Main, ctx.Main, (prev?.Version ?? 0) + 1, lease);
        h.Add(ctx.Main, ctx.Sub++, kv);
        if (prev is not null && prev.Lease != 0 && prev.Lease != lease && _leases.TryGetValue(prev.Lease, out var old))
        {
            old.Keys.Remove(h.Key);
        }
        if (lease != 0 && _leases.TryGetValue(lease, out var l))
        {
            l.Keys.Add(h.Key);
        }
        _dbSize += KeyHistory.SizeOf(h.Key, kv);
        ctx.Events.Add(new WatchEvent(EventType.Put, kv, prev));
        return new PutResult(default, put.PrevKv ? prev : null);
    }

    private DeleteRangeResult ApplyDelete(DeleteRangeRequest del, TxnContext ctx)
    {
        var targets = new List<KeyHistory>();
        foreach (var h in Histories(del.Key, del.RangeEnd))
        {
            if (h.Latest is not null)
            {
                targets.Add(h);
            }
        }
        var prevKvs = del.PrevKv ? new List<KeyValue>(targets.Count) : null;
        foreach (var h in targets)
        {
            var prev = h.Latest!;
            h.Add(ctx.Main, ctx.Sub++, null);
            if (prev.Lease != 0 && _leases.TryGetValue(prev.Lease, out var l))
            {
                l.Keys.Remove(h.Key);
            }
            _dbSize += KeyHistory.SizeOf(h.Key, null);
            ctx.Events.Add(new WatchEvent(EventType.Delete, new KeyValue(h.Key, [], 0, ctx.Main, 0, 0), prev));
            prevKvs?.Add(prev);
        }
        return new DeleteRangeResult(default, targets.Count, (IReadOnlyList<KeyValue>?)prevKvs ?? []);
    }

    private void Commit(TxnContext ctx)
    {
        var record = new RevisionRecord(ctx.Main, [.. ctx.Events]);
        _history.Add(record);
        Volatile.Write(ref _revision, ctx.Main);
        Publish(record);
    }

    private bool Evaluate(Compare c)
    {
        if (c.RangeEnd is null)
        {
            var kv = _byKey.TryGetValue(c.Key, out var h) ? h.Latest : null;
            return kv is null ? c.Target != CompareTarget.Value && CompareOne(c, null) : CompareOne(c, kv);
        }
        var any = false;
        foreach (var h in Histories(c.Key, c.RangeEnd))
        {
            if (h.Latest is { } kv)
            {
                any = true;
                if (!CompareOne(c, kv))
                {
                    return false;
                }
            }
        }
        return any || (c.Target != CompareTarget.Value && CompareOne(c, null));
    }

    private static bool CompareOne(Compare c, KeyValue? kv)
    {
        int cmp;
        switch (c.Target)
        {
            case CompareTarget.Value:
                cmp = kv!.Value.AsSpan().SequenceCompareTo(c.Value ?? []);
                break;
            case CompareTarget.Version:
                cmp = (kv?.Version ?? 0).CompareTo(c.Version);
                break;
            case CompareTarget.Create:
                cmp = (kv?.CreateRevision ?? 0).CompareTo(c.CreateRevision);
                break;
            case CompareTarget.Mod:
                cmp = (kv?.ModRevision ?? 0).CompareTo(c.ModRevision);
                break;
            case CompareTarget.Lease:
                cmp = (kv?.Lease ?? 0).CompareTo(c.Lease);
                break;
            default:
                return false;
        }
        return c.Result switch
        {
            CompareResult.Equal => cmp == 0,
            CompareResult.NotEqual => cmp != 0,
            CompareResult.Greater => cmp > 0,
            CompareResult.Less => cmp < 0,
            _ => false,
        };
    }

    private CompactResult ApplyCompact(long revision)
    {
        if (revision <= _compactRevision)
        {
            throw new StoreException(StoreErrorCode.Compacted, _compactRevision);
        }
        if (revision > _revision)
        {
            throw new StoreException(StoreErrorCode.FutureRevision);
        }
        List<KeyHistory>? empty = null;
        foreach (var h in _ordered)
        {
            _dbSize -= h.Compact(revision);
            if (h.VersionCount == 0)
            {
                (empty ??= []).Add(h);
            }
        }
        if (empty is not null)
        {
            foreach (var h in empty)
            {
                _ordered.Remove(h);
                _byKey.Remove(h.Key);
            }
        }
        var keep = FirstHistoryIndexAtOrAfter(revision);
        _history.RemoveRange(0, keep);
        Volatile.Write(ref _compactRevision, revision);
        return new CompactResult(Header(_revision));
    }

    private LeaseGrantResult ApplyLeaseGrant(long id, long ttl)
    {
        if (_leases.ContainsKey(id))
        {
            throw new StoreException(StoreErrorCode.LeaseExists);
        }
        var lease = new StoreLease(id, Math.Clamp(ttl, MinLeaseTtl, MaxLeaseTtl), ttl);
        lease.Refresh(_time.GetUtcNow());
        _leases.Add(id, lease);
        _dbSize += 64;
        return new LeaseGrantResult(Header(_revision), id, lease.Ttl);
    }

    private ResponseHeader ApplyLeaseRevoke(long id)
    {
        if (!_leases.Remove(id, out var lease))
        {
            throw new StoreException(StoreErrorCode.LeaseNotFound);
        }
        _dbSize -= 64;
        if (lease.Keys.Count > 0)
        {
            var ctx = new TxnContext(_revision + 1);
            var keys = lease.Keys.ToArray();
            Array.Sort(keys, ByteKeyComparer.Instance);
            foreach (var key in keys)
            {
                ApplyDelete(new DeleteRangeRequest(key), ctx);
            }
            if (ctx.Events.Count > 0)
            {
                Commit(ctx);
            }
        }
        return Header(_revision);
    }

    // ---------------------------------------------------------------- reads

    public RangeResult Range(RangeRequest request)
    {
        _lock.EnterReadLock();
        try
        {
            CheckRevision(request.Revision);
            return RangeLocked(request, Header(_revision));
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private void CheckRevision(long revision)
    {
        if (revision <= 0)
        {
            return;
        }
        if (revision > _revision)
        {
            throw new StoreException(StoreErrorCode.FutureRevision);
        }
        if (revision < _compactRevision)
        {
            throw new StoreException(StoreErrorCode.Compacted, _compactRevision);
        }
    }

    private RangeResult RangeLocked(RangeRequest r, ResponseHeader header)
    {
        var rev = r.Revision > 0 ? r.Revision : long.MaxValue; // latest, including writes earlier in the same txn
        var sortOrder = r.SortOrder == SortOrder.None && r.SortTarget != SortTarget.Key ? SortOrder.Ascend : r.SortOrder;
        var needsSort = sortOrder == SortOrder.Descend || (sortOrder == SortOrder.Ascend && r.SortTarget != SortTarget.Key);
        var filtered = r.MinModRevision > 0 || r.MaxModRevision > 0 || r.MinCreateRevision > 0 || r.MaxCreateRevision > 0;
        var collectAll = needsSort;
        var kvs = new List<KeyValue>();
        long count = 0;
        var more = false;
        foreach (var h in Histories(r.Key, r.RangeEnd))
        {
            var kv = h.At(rev);
            if (kv is null)
            {
                continue;
            }
            count++;
            if (r.CountOnly)
            {
                continue;
            }
            if (filtered && !PassesFilters(r, kv))
            {
                continue;
            }
            if (!collectAll && r.Limit > 0 && kvs.Count >= r.Limit)
            {
                more = true;
                continue;
            }
            kvs.Add(kv);
        }
        if (needsSort)
        {
            kvs.Sort(SortComparison(r.SortTarget, sortOrder == SortOrder.Descend));
        }
        if (r.Limit > 0 && kvs.Count > r.Limit)
        {
            kvs.RemoveRange((int)r.Limit, kvs.Count - (int)r.Limit);
            more = true;
        }
        if (r.KeysOnly)
        {
            for (var i = 0; i < kvs.Count; i++)
            {
                kvs[i] = kvs[i] with { Value = [] };
            }
        }
        return new RangeResult(header, kvs, more, count);
    }

    private static bool PassesFilters(RangeRequest r, KeyValue kv) =>
        (r.MinModRevision <= 0 || kv.ModRevision >= r.MinModRevision)
        && (r.MaxModRevision <= 0 || kv.ModRevision <= r.MaxModRevision)
        && (r.MinCreateRevision <= 0 || kv.CreateRevision >= r.MinCreateRevision)
        && (r.MaxCreateRevision <= 0 || kv.CreateRevision <= r.MaxCreateRevision);

    private static Comparison<KeyValue> SortComparison(SortTarget target, bool descend)
    {
        Comparison<KeyValue> primary = target switch
        {
            SortTarget.Version => (a, b) => a.Version.CompareTo(b.Version),
            SortTarget.Create => (a, b) => a.CreateRevision.CompareTo(b.CreateRevision),
            SortTarget.Mod => (a, b) => a.ModRevision.CompareTo(b.ModRevision),
            SortTarget.Value => (a, b) => a.Value.AsSpan().SequenceCompareTo(b.Value),
            _ => (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key),
        };
        return descend
            ? (a, b) => { var c = primary(b, a); return c != 0 ? c : b.Key.AsSpan().SequenceCompareTo(a.Key); }
            : (a, b) => { var c = primary(a, b); return c != 0 ? c : a.Key.AsSpan().SequenceCompareTo(b.Key); };
    }

    /// <summary>The key histories in [key, end) in key order (end null: the one key; "\0": no upper bound).</summary>
    private IEnumerable<KeyHistory> Histories(byte[] key, byte[]? end)
    {
        if (end is null)
        {
            if (_byKey.TryGetValue(key, out var one))
            {
                yield return one;
            }
            yield break;
        }
        if (_ordered.Count == 0)
        {
            yield break;
        }
        var openEnd = ByteKeyComparer.IsOpenEnd(end);
        var lower = new KeyHistory(key);
        var upper = openEnd ? _ordered.Max! : new KeyHistory(end);
        if (OrderComparer.Compare(lower, upper) > 0)
        {
            yield break;
        }
        foreach (var h in _ordered.GetViewBetween(lower, upper))
        {
            if (!openEnd && OrderComparer.Compare(h, upper) == 0)
            {
                yield break;
            }
            yield return h;
        }
    }

    // ---------------------------------------------------------------- leases (reads and keepalive)

    public long LeaseKeepAlive(long id)
    {
        _lock.EnterReadLock();
        try
        {
            if (!_leases.TryGetValue(id, out var lease))
            {
                return 0;
            }
            lease.Refresh(_time.GetUtcNow());
            return lease.Ttl;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Renews a lease as an applied log entry: its TTL (boxed), or 0 when it does not exist.</summary>
    private object ApplyLeaseKeepAlive(long id)
    {
        if (!_leases.TryGetValue(id, out var lease))
        {
            return 0L;
        }
        lease.Refresh(_time.GetUtcNow());
        return lease.Ttl;
    }

    /// <summary>Gives every lease a full TTL from now: what a member does when it becomes leader (etcd's lessor Promote).</summary>
    public void RefreshAllLeases()
    {
        _lock.EnterReadLock();
        try
        {
            var now = _time.GetUtcNow();
            foreach (var lease in _leases.Values)
            {
                lease.Refresh(now);
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public LeaseTimeToLiveResult LeaseTimeToLive(long id, bool keys)
    {
        _lock.EnterReadLock();
        try
        {
            var header = Header(_revision);
            if (!_leases.TryGetValue(id, out var lease))
            {
                return new LeaseTimeToLiveResult(header, id, -1, 0, []);
            }
            var remaining = (long)Math.Max(0, (lease.Expiry - _time.GetUtcNow()).TotalSeconds);
            IReadOnlyList<byte[]> attached = keys ? lease.Keys.OrderBy(k => k, ByteKeyComparer.Instance).ToArray() : [];
            return new LeaseTimeToLiveResult(header, id, remaining, lease.GrantedTtl, attached);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public bool LeaseExists(long id)
    {
        _lock.EnterReadLock();
        try
        {
            return _leases.ContainsKey(id);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The leases whose expiry is at or before <paramref name="now"/>.</summary>
    public List<long> ExpiredLeases(DateTimeOffset now)
    {
        _lock.EnterReadLock();
        try
        {
            var result = new List<long>();
            foreach (var lease in _leases.Values)
            {
                if (lease.Expiry <= now)
                {
                    result.Add(lease.Id);
                }
            }
            return result;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    // ---------------------------------------------------------------- watch

    /// <summary>
    /// Streams changes in [key, end) from the request's start revision. Starting below the compacted revision, or
    /// falling so far behind that the history it still needs gets compacted, ends the stream with
    /// <see cref="StoreException"/> (<see cref="StoreErrorCode.Compacted"/>). Cancellation ends the stream quietly.
    /// </summary>
    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var watcher = Register(request);
        try
        {
            var reader = watcher.Buffer.Reader;
            while (true)
            {
                while (reader.TryRead(out var buffered))
                {
                    yield return buffered;
                }
                if (!watcher.Synced)
                {
                    // The applier stopped writing when we went unsynced: drain what it wrote, then read history.
                    while (reader.TryRead(out var buffered))
                    {
                        yield return buffered;
                    }
                    foreach (var response in CatchUp(watcher, 256))
                    {
                        yield return response;
                    }
                    continue;
                }
                var outcome = await WaitAsync(reader, request, cancellationToken).ConfigureAwait(false);
                if (outcome == WaitOutcome.Cancelled)
                {
                    yield break;
                }
                if (outcome == WaitOutcome.Idle && Progress(watcher) is { } progress)
                {
                    yield return progress;
                }
            }
        }
        finally
        {
            Unregister(watcher);
        }
    }

    private enum WaitOutcome { Ready, Idle, Cancelled }

    private async ValueTask<WaitOutcome> WaitAsync(ChannelReader<WatchResponse> reader, WatchRequest request, CancellationToken cancellationToken)
    {
        if (!request.ProgressNotify)
        {
            try
            {
                await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
                return WaitOutcome.Ready;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return WaitOutcome.Cancelled;
            }
        }
        using var idle = new CancellationTokenSource(request.ProgressInterval, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        try
        {
            await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false);
            return WaitOutcome.Ready;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return WaitOutcome.Cancelled;
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested)
        {
            return WaitOutcome.Idle;
        }
    }

    private Watcher Register(WatchRequest request)
    {
        var watcher = new Watcher(request, _watchBufferSize);
        _lock.EnterWriteLock();
        try
        {
            if (_stopped)
            {
                throw new StoreException(StoreErrorCode.Stopped);
            }
            if (request.StartRevision > 0 && request.StartRevision < _compactRevision)
            {
                throw new StoreException(StoreErrorCode.Compacted, _compactRevision);
            }
            watcher.NextRevision = request.StartRevision > 0 ? request.StartRevision : _revision + 1;
            watcher.Synced = watcher.NextRevision > _revision;
            _watchers.Add(watcher);
            Volatile.Write(ref _watcherCount, _watchers.Count);
            return watcher;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private void Unregister(Watcher watcher)
    {
        _lock.EnterWriteLock();
        try
        {
            _watchers.Remove(watcher);
            Volatile.Write(ref _watcherCount, _watchers.Count);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Called under the write lock for every committed revision.</summary>
    private void Publish(RevisionRecord record)
    {
        foreach (var w in _watchers)
        {
            if (!w.Synced || record.Revision < w.NextRevision)
            {
                continue;
            }
            var events = w.Filter(record);
            if (events is null)
            {
                w.NextRevision = record.Revision + 1;
                continue;
            }
            if (w.Buffer.Writer.TryWrite(new WatchResponse(Header(record.Revision), events)))
            {
                w.NextRevision = record.Revision + 1;
            }
            else
            {
                w.Synced = false; // slow reader: it catches up from history, starting at this revision
            }
        }
    }

    /// <summary>Reads up to <paramref name="maxRevisions"/> revisions of history for an unsynced watcher; marks it synced when caught up.</summary>
    private List<WatchResponse> CatchUp(Watcher watcher, int maxRevisions)
    {
        var responses = new List<WatchResponse>();
        _lock.EnterReadLock();
        try
        {
            if (_stopped)
            {
                throw new StoreException(StoreErrorCode.Stopped);
            }
            if (watcher.NextRevision < _compactRevision)
            {
                throw new StoreException(StoreErrorCode.Compacted, _compactRevision);
            }
            var i = FirstHistoryIndexAtOrAfter(watcher.NextRevision);
            var scanned = 0;
            for (; i < _history.Count && scanned < maxRevisions; i++, scanned++)
            {
                var record = _history[i];
                if (watcher.Filter(record) is { } events)
                {
                    responses.Add(new WatchResponse(Header(record.Revision), events));
                }
                watcher.NextRevision = record.Revision + 1;
            }
            if (i >= _history.Count)
            {
                // Caught up. The applier holds the write lock while publishing, so it cannot run now.
                watcher.NextRevision = _revision + 1;
                watcher.Synced = true;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
        return responses;
    }

    private WatchResponse? Progress(Watcher watcher)
    {
        _lock.EnterReadLock();
        try
        {
            // Every revision up to the current one is delivered when the watcher is synced and its buffer empty.
            return watcher.Synced && watcher.Buffer.Reader.Count == 0 && watcher.NextRevision > _revision
                ? new WatchResponse(Header(_revision), [])
                : null;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private int FirstHistoryIndexAtOrAfter(long revision)
    {
        int lo = 0, hi = _history.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_history[mid].Revision < revision)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>Ends every watch with <see cref="StoreErrorCode.Stopped"/>.</summary>
    public void Stop()
    {
        _lock.EnterWriteLock();
        try
        {
            _stopped = true;
            foreach (var w in _watchers)
            {
                w.Buffer.Writer.TryComplete(new StoreException(StoreErrorCode.Stopped));
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void Dispose() => _lock.Dispose();

    // ---------------------------------------------------------------- snapshot

    /// <summary>
    /// Captures the state for a snapshot: a copy of the index structure (not of keys and values, which are immutable),
    /// taken under the read lock in time proportional to the number of versions. The image is then written without
    /// holding any lock, so applying continues meanwhile.
    /// </summary>
    public MvccSnapshotImage Capture()
    {
        _lock.EnterReadLock();
        try
        {
            var keys = new (byte[] Key, KeyHistory.Version[] Versions)[_ordered.Count];
            var i = 0;
            foreach (var h in _ordered)
            {
                keys[i++] = (h.Key, h.CopyVersions());
            }
            var leases = new (long Id, long Ttl, long GrantedTtl)[_leases.Count];
            i = 0;
            foreach (var lease in _leases.Values)
            {
                leases[i++] = (lease.Id, lease.Ttl, lease.GrantedTtl);
            }
            return new MvccSnapshotImage(_revision, _compactRevision, keys, leases);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    Action<Stream> IStateMachine.CaptureSnapshot() => Capture().WriteTo;

    public void RestoreSnapshot(Stream source, ulong index, ulong term)
    {
        using var reader = new BinaryReader(source, System.Text.Encoding.UTF8, leaveOpen: true);
        RestoreSnapshot(reader, index, term);
    }

    /// <summary>Replaces the state with a snapshot written by <see cref="MvccSnapshotImage.WriteTo"/>. Leases restart their TTL from now, as in etcd.</summary>
    public void RestoreSnapshot(BinaryReader reader, ulong index, ulong term)
    {
        _lock.EnterWriteLock();
        try
        {
            _ordered.Clear();
            _byKey.Clear();
            _history.Clear();
            _leases.Clear();
            _dbSize = 0;
            _revision = reader.ReadInt64();
            _compactRevision = reader.ReadInt64();
            var byRevision = new SortedDictionary<long, List<(int Sub, WatchEvent Event)>>();
            var keyCount = reader.ReadInt32();
            for (var k = 0; k < keyCount; k++)
            {
                var h = new KeyHistory(ReadBytes(reader));
                var versions = reader.ReadInt32();
                KeyValue? prev = null;
                for (var v = 0; v < versions; v++)
                {
                    var main = reader.ReadInt64();
                    var sub = reader.ReadInt32();
                    KeyValue? kv = null;
                    WatchEvent e;
                    if (reader.ReadBoolean())
                    {
                        var value = ReadBytes(reader);
                        var create = reader.ReadInt64();
                        var version = reader.ReadInt64();
                        var lease = reader.ReadInt64();
                        kv = new KeyValue(h.Key, value, create, main, version, lease);
                        e = new WatchEvent(EventType.Put, kv, prev);
                    }
                    else
                    {
                        e = new WatchEvent(EventType.Delete, new KeyValue(h.Key, [], 0, main, 0, 0), prev);
                    }
                    h.Add(main, sub, kv);
                    _dbSize += KeyHistory.SizeOf(h.Key, kv);
                    // The version kept at the compaction revision is state, not an event a watcher can still ask for.
                    if (main >= _compactRevision)
                    {
                        if (!byRevision.TryGetValue(main, out var list))
                        {
                            byRevision[main] = list = [];
                        }
                        list.Add((sub, e));
                    }
                    prev = kv;
                }
                _ordered.Add(h);
                _byKey.Add(h.Key, h);
            }
            foreach (var (rev, list) in byRevision)
            {
                list.Sort((a, b) => a.Sub.CompareTo(b.Sub));
                _history.Add(new RevisionRecord(rev, list.Select(x => x.Event).ToArray()));
            }
            var now = _time.GetUtcNow();
            var leaseCount = reader.ReadInt32();
            for (var i = 0; i < leaseCount; i++)
            {
                var lease = new StoreLease(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64());
                lease.Refresh(now);
                _leases.Add(lease.Id, lease);
                _dbSize += 64;
            }
            foreach (var h in _ordered)
            {
                if (h.Latest is { Lease: not 0 } kv && _leases.TryGetValue(kv.Lease, out var l))
                {
                    l.Keys.Add(h.Key);
                }
            }
            _appliedIndex = index;
            _raftTerm = term;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private static byte[] ReadBytes(BinaryReader reader)
    {
        var n = reader.ReadInt32();
        if (n < 0)
        {
            throw new InvalidDataException("Negative length in a snapshot.");
        }
        var bytes = reader.ReadBytes(n);
        if (bytes.Length != n)
        {
            throw new InvalidDataException("Truncated snapshot.");
        }
        return bytes;
    }

    private sealed class TxnContext(long main)
    {
        public long Main { get; } = main;
        public int Sub;
        public List<WatchEvent> Events { get; } = [];
    }

    private sealed class KeyHistoryComparer : IComparer<KeyHistory>
    {
        public int Compare(KeyHistory? x, KeyHistory? y) => x!.Key.AsSpan().SequenceCompareTo(y!.Key);
    }
}
