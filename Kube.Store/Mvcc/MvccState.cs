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
internal sealed partial class MvccState : IStateMachine, IDisposable
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
