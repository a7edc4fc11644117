namespace Kube.Networking.Allocation;

/// <summary>
/// A thread-safe allocator of the integers <c>[first, last]</c> (IP host offsets or ports), handing out the next free
/// one round-robin. Fresh allocations remember when they were made, so a repair pass can tell a leak from an
/// allocation whose object is still being created.
/// </summary>
internal sealed class RangeAllocator
{
    private readonly long _first;
    private readonly long _last;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<long, DateTimeOffset> _used = [];
    private readonly HashSet<long> _reserved = [];
    private long _next;

    public RangeAllocator(long first, long last, TimeProvider time)
    {
        _first = first;
        _last = last;
        _next = first;
        _time = time;
    }


    public long First => _first;

    public long Last => _last;

    public int Used
    {
        get
        {
            lock (_lock)
            {
                return _used.Count;
            }
        }
    }

    public void Reserve(long value)
    {
        lock (_lock)
        {
            _reserved.Add(value);
        }
    }

    public bool IsAllocated(long value)
    {
        lock (_lock)
        {
            return _used.ContainsKey(value);
        }
    }

    /// <summary>The next free, unreserved value, or null when none is left.</summary>
    public long? AllocateNext()
    {
        lock (_lock)
        {
            var size = _last - _first + 1;
            for (long i = 0; i < size; i++)
            {
                var v = _first + ((_next - _first + i) % size);
                if (!_used.ContainsKey(v) && !_reserved.Contains(v))
                {
                    _used[v] = _time.GetUtcNow();
                    _next = v == _last ? _first : v + 1;
                    return v;
                }
            }

            return null;
        }
    }

    /// <summary>Takes one specific value. A reserved value is taken only when <paramref name="allowReserved"/>.</summary>
    public AllocationResult Allocate(long value, bool allowReserved = false)
    {
        lock (_lock)
        {
            if (value < _first || value > _last)
            {
                return AllocationResult.OutOfRange;
            }

            if (_reserved.Contains(value) && !allowReserved)
            {
                return AllocationResult.Reserved;
            }

            if (!_used.TryAdd(value, _time.GetUtcNow()))
            {
                return AllocationResult.AlreadyAllocated;
            }

            return AllocationResult.Allocated;
        }
    }

    public void Release(long value)
    {
        lock (_lock)
        {
            _used.Remove(value);
        }
    }

    /// <summary>
    /// Makes the used set match <paramref name="inUse"/> (the values the API shows), keeping allocations younger than
    /// <paramref name="grace"/>. Returns how many leaked values were freed.
    /// </summary>
    public int Repair(IEnumerable<long> inUse, TimeSpan grace)
    {
        var now = _time.GetUtcNow();
        var set = inUse.Where(v => v >= _first && v <= _last).ToHashSet();
        lock (_lock)
        {
            var freed = 0;
            foreach (var (v, at) in _used.ToList())
            {
                if (!set.Contains(v) && now - at >= grace)
                {
                    _used.Remove(v);
                    freed++;
                }
            }

            foreach (var v in set)
            {
                _used.TryAdd(v, DateTimeOffset.MinValue);
            }

            return freed;
        }
    }
}
