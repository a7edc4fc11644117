using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Kube.Store.Raft;

namespace Kube.Store.Mvcc;

/// <summary>MvccState: capture and restore of the whole state.</summary>
internal sealed partial class MvccState
{
    // ---------------------------------------------------------------- snapshot

    /// <summary>
    /// Captures the state for a snapshot: each key's current <see cref="KeyHistory.View"/> (one reference per key; neither
    /// versions nor keys and values are copied, as later writes never change them), taken under the read lock in time
    /// proportional to the number of keys. The image is then written without holding any lock, so applying continues meanwhile.
    /// </summary>
    public MvccSnapshotImage Capture()
    {
        _lock.EnterReadLock();
        try
        {
            var keys = new (byte[] Key, ReadOnlyMemory<KeyHistory.Version> Versions)[_ordered.Count];
            var i = 0;
            foreach (var h in _ordered)
            {
                keys[i++] = (h.Key, h.View);
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
}
