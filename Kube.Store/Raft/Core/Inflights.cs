namespace Kube.Store.Raft.Core;

/// <summary>The last indexes of appends sent but not yet acknowledged, bounded by <c>MaxInflightMsgs</c> (the pipelining window).</summary>
internal sealed class Inflights(int capacity)
{
    private readonly Queue<ulong> _indexes = new();

    public int Capacity { get; } = capacity;

    public int Count => _indexes.Count;

    public bool Full => _indexes.Count >= Capacity;

    public void Add(ulong lastIndex)
    {
        if (Full)
        {
            throw new InvalidOperationException("The inflight window is full.");
        }
        _indexes.Enqueue(lastIndex);
    }

    /// <summary>Frees every append whose last index is ≤ <paramref name="index"/>.</summary>
    public void FreeLE(ulong index)
    {
        while (_indexes.Count > 0 && _indexes.Peek() <= index)
        {
            _indexes.Dequeue();
        }
    }

    public void FreeFirstOne()
    {
        if (_indexes.Count > 0)
        {
            _indexes.Dequeue();
        }
    }

    public void Reset() => _indexes.Clear();
}
