using System.Buffers.Binary;

namespace Kube.Store.Raft.Core;

/// <summary>One membership change. It takes effect on every member when its entry is applied.</summary>
internal readonly record struct ConfChange(ConfChangeType Type, ulong NodeId)
{
    public byte[] Encode()
    {
        var bytes = new byte[9];
        bytes[0] = (byte)Type;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1), NodeId);
        return bytes;
    }

    public static ConfChange Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length != 9 || data[0] > (byte)ConfChangeType.RemoveNode)
        {
            throw new InvalidDataException("A configuration-change entry must be 9 bytes: a type (0-2) and a member id.");
        }
        return new ConfChange((ConfChangeType)data[0], BinaryPrimitives.ReadUInt64LittleEndian(data[1..]));
    }
}
