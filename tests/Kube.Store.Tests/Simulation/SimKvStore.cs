using System.Text;

namespace Kube.Store.Tests.Simulation;

/// <summary>
/// A small model of the MVCC store that the simulated members replicate: put, delete and compare-and-set txns on keys with a
/// global revision (one per successful write) and per-key versions. Commands are de-duplicated by operation id, as client
/// sessions do, so a proposal delivered twice (a duplicated forward) is applied once.
/// </summary>
internal sealed class SimKvStore
{
    private readonly SortedDictionary<string, (string Value, long Version, long ModRevision)> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<long, KvResult> _done = [];

    public long Revision { get; private set; }

    public static byte[] Encode(KvOperation op)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(op.Id);
            w.Write((byte)op.Kind);
            w.Write(op.Key);
            WriteNullable(w, op.Arg1);
            WriteNullable(w, op.Arg2);
        }
        return ms.ToArray();
    }

    private static void WriteNullable(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null)
        {
            w.Write(s);
        }
    }

    private static string? ReadNullable(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    public static long OperationId(byte[] command) => BitConverter.ToInt64(command, 0);

    /// <summary>Applies a command; returns its result and the watch event it produced (null when nothing changed).</summary>
    public (KvResult Result, WatchEvent? Event) Apply(byte[] command)
    {
        using var r = new BinaryReader(new MemoryStream(command), Encoding.UTF8);
        var id = r.ReadInt64();
        var kind = (KvOpKind)r.ReadByte();
        var key = r.ReadString();
        var arg1 = ReadNullable(r);
        var arg2 = ReadNullable(r);
        if (_done.TryGetValue(id, out var previous))
        {
            return (previous, null);
        }
        KvResult result;
        WatchEvent? ev = null;
        var exists = _keys.TryGetValue(key, out var cur);
        switch (kind)
        {
            case KvOpKind.Put:
                result = new KvResult(exists ? cur.Value : null, 0, false);
                ev = Write(key, arg1!, exists ? cur : null);
                break;
            case KvOpKind.Delete:
                result = new KvResult(null, 0, exists);
                if (exists)
                {
                    Revision++;
                    _keys.Remove(key);
                    ev = new WatchEvent(Revision, key, null, cur.Value);
                }
                break;
            case KvOpKind.Cas:
                var ok = arg1 is null ? !exists : exists && cur.Value == arg1;
                result = new KvResult(null, 0, ok);
                if (ok)
                {
                    ev = Write(key, arg2!, exists ? cur : null);
                }
                break;
            default:
                throw new InvalidDataException($"Unexpected command kind {kind} in the log.");
        }
        _done[id] = result;
        return (result, ev);
    }

    private WatchEvent Write(string key, string value, (string Value, long Version, long ModRevision)? previous)
    {
        Revision++;
        _keys[key] = (value, (previous?.Version ?? 0) + 1, Revision);
        return new WatchEvent(Revision, key, value, previous?.Value);
    }

    public KvResult Get(string key) => _keys.TryGetValue(key, out var cur) ? new KvResult(cur.Value, cur.Version, true) : new KvResult(null, 0, false);

    public byte[] Snapshot()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Revision);
            w.Write(_keys.Count);
            foreach (var (k, v) in _keys)
            {
                w.Write(k);
                w.Write(v.Value);
                w.Write(v.Version);
                w.Write(v.ModRevision);
            }
            w.Write(_done.Count);
            foreach (var (id, res) in _done.OrderBy(p => p.Key))
            {
                w.Write(id);
                WriteNullable(w, res.Value);
                w.Write(res.Version);
                w.Write(res.Flag);
            }
        }
        return ms.ToArray();
    }

    public void Restore(byte[] data)
    {
        _keys.Clear();
        _done.Clear();
        Revision = 0;
        if (data.Length == 0)
        {
            return;
        }
        using var r = new BinaryReader(new MemoryStream(data), Encoding.UTF8);
        Revision = r.ReadInt64();
        for (var n = r.ReadInt32(); n > 0; n--)
        {
            _keys[r.ReadString()] = (r.ReadString(), r.ReadInt64(), r.ReadInt64());
        }
        for (var n = r.ReadInt32(); n > 0; n--)
        {
            _done[r.ReadInt64()] = new KvResult(ReadNullable(r), r.ReadInt64(), r.ReadBoolean());
        }
    }
}
