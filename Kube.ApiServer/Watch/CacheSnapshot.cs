using System.Collections.Immutable;
using Kube.Store;

namespace Kube.ApiServer.Watch;

/// <summary>
/// The objects of one resource as a <see cref="WatchCache"/> held them at <see cref="Revision"/>: the stored key-values
/// (values without resourceVersion, as in the store) in key order. Immutable, so a list reads it without a lock.
/// </summary>
internal sealed class CacheSnapshot(ImmutableList<KeyValue> items, long revision)
{
    /// <summary>Orders key-values by their key's bytes, as the store does.</summary>
    public static readonly IComparer<KeyValue> KeyOrder = Comparer<KeyValue>.Create(static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));

    public ImmutableList<KeyValue> Items { get; } = items;

    public long Revision { get; } = revision;

    /// <summary>The same objects, reported at another revision at which the store held exactly these.</summary>
    public CacheSnapshot At(long revision) => revision == Revision ? this : new CacheSnapshot(Items, revision);

    /// <summary>The index of the first key at or after <paramref name="key"/>.</summary>
    public int LowerBound(byte[] key)
    {
        var i = Items.BinarySearch(new KeyValue(key, [], 0, 0, 0, 0), KeyOrder);
        return i >= 0 ? i : ~i;
    }

    /// <summary>The indexes [from, to) of the keys in [start, end).</summary>
    public (int From, int To) IndexRange(byte[] start, byte[] end) => (LowerBound(start), LowerBound(end));
}
