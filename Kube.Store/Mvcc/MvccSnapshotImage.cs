namespace Kube.Store.Mvcc;

/// <summary>
/// A captured, immutable view of the MVCC state, written in the snapshot format read by <see cref="MvccState.RestoreSnapshot(BinaryReader, ulong, ulong)"/>:
/// revision, compact revision, then per key (in key order) its versions [main, sub, live?, value, create, version, lease],
/// then the leases [id, ttl, granted ttl]. Integers are little-endian; byte strings are an int32 length and the bytes.
/// </summary>
internal sealed class MvccSnapshotImage(long revision, long compactRevision, (byte[] Key, KeyHistory.Version[] Versions)[] keys,
    (long Id, long Ttl, long GrantedTtl)[] leases)
{
    public long Revision { get; } = revision;

    public void WriteTo(Stream destination)
    {
        using var writer = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Revision);
        writer.Write(compactRevision);
        writer.Write(keys.Length);
        foreach (var (key, versions) in keys)
        {
            WriteBytes(writer, key);
            writer.Write(versions.Length);
            foreach (var v in versions)
            {
                writer.Write(v.Main);
                writer.Write(v.Sub);
                if (v.Kv is { } kv)
                {
                    writer.Write(true);
                    WriteBytes(writer, kv.Value);
                    writer.Write(kv.CreateRevision);
                    writer.Write(kv.Version);
                    writer.Write(kv.Lease);
                }
                else
                {
                    writer.Write(false);
                }
            }
        }
        writer.Write(leases.Length);
        foreach (var (id, ttl, granted) in leases)
        {
            writer.Write(id);
            writer.Write(ttl);
            writer.Write(granted);
        }
        writer.Flush();
    }

    private static void WriteBytes(BinaryWriter writer, byte[] bytes)
    {
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }
}
