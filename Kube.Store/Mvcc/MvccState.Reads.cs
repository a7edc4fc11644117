using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Kube.Store.Raft;

namespace Kube.Store.Mvcc;

/// <summary>MvccState: ranges at a revision, and lease reads and keepalives.</summary>
internal sealed partial class MvccState
{
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
}
