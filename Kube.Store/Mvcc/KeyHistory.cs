namespace Kube.Store.Mvcc;

/// <summary>
/// Every retained version of one key, oldest first: etcd's keyIndex and its generations in one list.
/// A generation starts at a put after a tombstone (or at the first put) and ends with a tombstone;
/// <see cref="KeyValue.CreateRevision"/> and <see cref="KeyValue.Version"/> carry the generation's identity.
/// </summary>
/// <remarks>
/// The versions are an append-only array: a slot below the count is never written again (appending past the array's end
/// copies into a new array, and <see cref="Compact"/> writes the remaining versions to a new array). So a <see cref="View"/>
/// taken under the state's lock stays a consistent, immutable picture of this key's history while later versions are
/// appended or compacted away, and a snapshot can be written from it on another thread without copying the versions.
/// </remarks>
internal sealed class KeyHistory(byte[] key)
{
    private Version[] _versions = new Version[2];
    private int _count;

    public byte[] Key { get; } = key;

    public int VersionCount => _count;

    /// <summary>The live value, or null when the key is deleted.</summary>
    public KeyValue? Latest => _count == 0 ? null : _versions[_count - 1].Kv;

    /// <summary>The versions as of now; stays unchanged by later appends and compactions.</summary>
    public ReadOnlyMemory<Version> View => new(_versions, 0, _count);

    public void Add(long main, int sub, KeyValue? kv)
    {
        if (_count == _versions.Length)
        {
            Array.Resize(ref _versions, _count * 2);
        }
        _versions[_count++] = new Version(main, sub, kv);
    }

    /// <summary>The value visible at <paramref name="revision"/>, or null if the key did not exist then.</summary>
    public KeyValue? At(long revision)
    {
        if (_count == 0)
        {
            return null;
        }
        var last = _versions[_count - 1];
        if (last.Main <= revision)
        {
            return last.Kv;
        }
        var i = IndexAtOrBefore(revision);
        return i < 0 ? null : _versions[i].Kv;
    }

    /// <summary>
    /// Drops versions that no read at or after <paramref name="revision"/> can see. Keeps the version
    /// visible at <paramref name="revision"/>, except a tombstone older than it (one exactly at the revision stays, so that
    /// a watch from the compaction revision sees the delete, also after a restart from a snapshot). Returns the bytes
    /// freed; the key is empty afterwards when it was deleted before the compaction revision.
    /// </summary>
    public long Compact(long revision)
    {
        var i = IndexAtOrBefore(revision);
        if (i < 0)
        {
            return 0;
        }
        var removeCount = _versions[i].Kv is null && _versions[i].Main < revision ? i + 1 : i;
        long freed = 0;
        for (var k = 0; k < removeCount; k++)
        {
            freed += SizeOf(Key, _versions[k].Kv);
        }
        if (removeCount > 0)
        {
            // A new array, never a shift in place: views taken for a snapshot keep reading the old one.
            var left = _count - removeCount;
            var kept = new Version[Math.Max(2, left)];
            Array.Copy(_versions, removeCount, kept, 0, left);
            _versions = kept;
            _count = left;
        }
        return freed;
    }

    /// <summary>The approximate stored size of one version, used for the space quota.</summary>
    public static long SizeOf(byte[] key, KeyValue? kv) => key.Length + (kv?.Value.Length ?? 0) + 64;

    private int IndexAtOrBefore(long revision)
    {
        int lo = 0, hi = _count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_versions[mid].Main <= revision)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }

    /// <summary>One version: main/sub revision and the value (null for a tombstone).</summary>
    public readonly record struct Version(long Main, int Sub, KeyValue? Kv);
}
