namespace Kube.Store.Mvcc;

/// <summary>Orders and hashes raw keys by content, as etcd orders keys (unsigned byte-wise).</summary>
internal sealed class ByteKeyComparer : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    public static readonly ByteKeyComparer Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }

    /// <summary>True when <paramref name="key"/> is in [start, end), with etcd's conventions: end null = exactly start, end "\0" = every key at or after start.</summary>
    public static bool InRange(ReadOnlySpan<byte> key, byte[] start, byte[]? end)
    {
        if (end is null)
        {
            return key.SequenceEqual(start);
        }
        if (key.SequenceCompareTo(start) < 0)
        {
            return false;
        }
        return IsOpenEnd(end) || key.SequenceCompareTo(end) < 0;
    }

    /// <summary>etcd's "\0" range end: no upper bound.</summary>
    public static bool IsOpenEnd(byte[]? end) => end is { Length: 1 } && end[0] == 0;
}
