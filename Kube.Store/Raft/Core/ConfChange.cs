using System.Buffers.Binary;

namespace Kube.Store.Raft.Core;

/// <summary>
/// One membership change. It takes effect on every member when its entry is applied. <see cref="Context"/> is opaque to the
/// core (the shell carries the proposal id and the member's metadata there, as etcd carries its JSON member).
/// </summary>
internal readonly record struct ConfChange(ConfChangeType Type, ulong NodeId)
{
    public ConfChange(ConfChangeType type, ulong nodeId, byte[]? context)
        : this(type, nodeId) => Context = context;

    /// <summary>Opaque bytes carried with the change; null when none.</summary>
    public byte[]? Context { get; init; }

    /// <summary>Layout: a type byte, the member id (u64 little-endian), then the context bytes (if any).</summary>
    public byte[] Encode()
    {
        var bytes = new byte[9 + (Context?.Length ?? 0)];
        bytes[0] = (byte)Type;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1), NodeId);
        Context?.CopyTo(bytes, 9);
        return bytes;
    }

    public static ConfChange Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 9 || data[0] > (byte)ConfChangeType.RemoveNode)
        {
            throw new InvalidDataException("A configuration-change entry must be at least 9 bytes: a type (0-2), a member id, then an optional context.");
        }
        return new ConfChange((ConfChangeType)data[0], BinaryPrimitives.ReadUInt64LittleEndian(data[1..9]), data.Length > 9 ? data[9..].ToArray() : null);
    }
}
