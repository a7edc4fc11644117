namespace Kube.Store.Mvcc;

/// <summary>
/// Every retained version of one key, oldest first: etcd's keyIndex and its generations in one list.
/// A generation starts at a put after a tombstone (or at the first put) and ends with a tombstone;
/// <see cref="KeyValue.CreateRevision"/> and <see cref="KeyValue.Version"/> carry the generation's identity.
/// </summary>
internal sealed class KeyHistory(byte[] key)
{
    private readonly List<Version> _versions = new(2);

    public byte[] Key { get; } = key;

    public int VersionCount => _versions.Count;

    /// <summary>The live value, or null when the key is deleted.</summary>
    public KeyValue? Latest => _versions.Count == 0 ? null : _versions[^1].Kv;

    public IReadOnlyList<Version> Versions => _versions;

    public Version[] CopyVersions() => _versions.ToArray();

    public void Add(long main, int sub, KeyValue? kv) => _versions.Add(new Version(main, sub, kv));

    /// <summary>The value visible at <paramref name="revision"/>, or null if the key did not exist then.</summary>
    public KeyValue? At(long revision)
    {
        if (_versions.Count == 0)
        {
            return null;
        }
        var last = _versions[^1];
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
        _versions.RemoveRange(0, removeCount);
        return freed;
    }

    /// <summary>The approximate stored size of one version, used for the space quota.</summary>
    public static long SizeOf(byte[] key, KeyValue? kv) => key.Length + (kv?.Value.Length ?? 0) + 64;

    private int IndexAtOrBefore(long revision)
    {
        int lo = 0, hi = _versions.Count - 1, found = -1;
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
