using System.Buffers.Binary;

namespace Kube.Node.Server.Spdy;

/// <summary>Reads and builds SPDY/3 frames (the 8-byte frame header and the fixed parts of control frames).</summary>
internal static class SpdyFrameCodec
{
    public const int HeaderLength = 8;

    /// <summary>Reads the next frame; null at a clean end of the transport (between frames).</summary>
    /// <exception cref="InvalidDataException">A control frame of another SPDY version, or a frame over <paramref name="maxLength"/>.</exception>
    /// <exception cref="EndOfStreamException">The transport ended inside a frame.</exception>
    public static async ValueTask<SpdyFrame?> ReadAsync(Stream transport, int maxLength, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderLength];
        var first = await transport.ReadAtLeastAsync(header, HeaderLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (first == 0)
        {
            return null;
        }

        if (first < HeaderLength)
        {
            throw new EndOfStreamException("the SPDY connection ended inside a frame header");
        }

        var word = BinaryPrimitives.ReadUInt32BigEndian(header);
        var flags = header[4];
        var length = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)) & 0xFFFFFF);
        if (length > maxLength)
        {
            throw new InvalidDataException($"SPDY frame of {length} bytes is over the limit of {maxLength}");
        }

        var payload = new byte[length];
        await transport.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        if ((word & 0x80000000) == 0)
        {
            return new SpdyFrame(SpdyFrameType.Data, flags, word & 0x7FFFFFFF, payload);
        }

        var version = (ushort)((word >> 16) & 0x7FFF);
        if (version != SpdyProtocol.Version)
        {
            throw new InvalidDataException($"SPDY version {version} is not supported (only 3)");
        }

        var type = (SpdyFrameType)(word & 0xFFFF);
        var streamId = type is SpdyFrameType.SynStream or SpdyFrameType.SynReply or SpdyFrameType.RstStream or SpdyFrameType.Headers or SpdyFrameType.WindowUpdate
            ? ReadId(payload, type)
            : 0u;
        return new SpdyFrame(type, flags, streamId, payload);
    }

    private static uint ReadId(byte[] payload, SpdyFrameType type) =>
        payload.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFFFFFF
            : throw new InvalidDataException($"SPDY {type} frame of {payload.Length} bytes is too short");

    /// <summary>A data frame.</summary>
    public static byte[] Data(uint streamId, ReadOnlySpan<byte> data, bool fin)
    {
        var frame = new byte[HeaderLength + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, streamId & 0x7FFFFFFF);
        WriteFlagsAndLength(frame, fin ? SpdyProtocol.FlagFin : (byte)0, data.Length);
        data.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>A control frame with the given payload.</summary>
    public static byte[] Control(SpdyFrameType type, byte flags, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, 0x80000000u | ((uint)SpdyProtocol.Version << 16) | (ushort)type);
        WriteFlagsAndLength(frame, flags, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    public static byte[] SynStream(uint streamId, uint associatedTo, byte priority, byte flags, ReadOnlySpan<byte> compressedHeaders)
    {
        var payload = new byte[10 + compressedHeaders.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, streamId & 0x7FFFFFFF);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), associatedTo & 0x7FFFFFFF);
        payload[8] = (byte)((priority & 0x7) << 5);
        compressedHeaders.CopyTo(payload.AsSpan(10));
        return Control(SpdyFrameType.SynStream, flags, payload);
    }

    /// <summary>SYN_REPLY or HEADERS: a stream id and a header block.</summary>
    public static byte[] StreamHeaders(SpdyFrameType type, uint streamId, byte flags, ReadOnlySpan<byte> compressedHeaders)
    {
        var payload = new byte[4 + compressedHeaders.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, streamId & 0x7FFFFFFF);
        compressedHeaders.CopyTo(payload.AsSpan(4));
        return Control(type, flags, payload);
    }

    public static byte[] RstStream(uint streamId, SpdyRstStatus status) => TwoWords(SpdyFrameType.RstStream, streamId & 0x7FFFFFFF, (uint)status);

    public static byte[] WindowUpdate(uint streamId, uint delta) => TwoWords(SpdyFrameType.WindowUpdate, streamId & 0x7FFFFFFF, delta & 0x7FFFFFFF);

    public static byte[] GoAway(uint lastGoodStreamId, SpdyGoAwayStatus status) => TwoWords(SpdyFrameType.GoAway, lastGoodStreamId & 0x7FFFFFFF, (uint)status);

    public static byte[] Ping(uint id)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, id);
        return Control(SpdyFrameType.Ping, 0, payload);
    }

    public static byte[] Settings(IReadOnlyList<(uint Id, uint Value)> entries)
    {
        var payload = new byte[4 + (8 * entries.Count)];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4 + (8 * i)), entries[i].Id & 0xFFFFFF);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(8 + (8 * i)), entries[i].Value);
        }

        return Control(SpdyFrameType.Settings, 0, payload);
    }

    /// <summary>The entries of a SETTINGS payload (the per-entry flags dropped).</summary>
    public static List<(uint Id, uint Value)> ReadSettings(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            throw new InvalidDataException("SPDY SETTINGS frame too short");
        }

        var count = BinaryPrimitives.ReadUInt32BigEndian(payload);
        if (payload.Length != 4 + (8L * count))
        {
            throw new InvalidDataException($"SPDY SETTINGS frame of {payload.Length} bytes does not hold {count} entries");
        }

        var entries = new List<(uint, uint)>((int)count);
        for (var i = 0; i < count; i++)
        {
            entries.Add((BinaryPrimitives.ReadUInt32BigEndian(payload[(4 + (8 * i))..]) & 0xFFFFFF, BinaryPrimitives.ReadUInt32BigEndian(payload[(8 + (8 * i))..])));
        }

        return entries;
    }

    /// <summary>The second 32-bit word of an 8-byte payload (RST_STREAM status, WINDOW_UPDATE delta, GOAWAY status).</summary>
    public static uint SecondWord(ReadOnlySpan<byte> payload, SpdyFrameType type) =>
        payload.Length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(payload[4..])
            : throw new InvalidDataException($"SPDY {type} frame of {payload.Length} bytes is too short");

    private static byte[] TwoWords(SpdyFrameType type, uint a, uint b)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, a);
        BinaryPrimitives.WriteUInt32BigEndian(payload[4..], b);
        return Control(type, 0, payload);
    }

    private static void WriteFlagsAndLength(Span<byte> frame, byte flags, int length)
    {
        if (length > SpdyProtocol.MaxFrameLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "a SPDY frame payload holds at most 16 MiB - 1");
        }

        BinaryPrimitives.WriteUInt32BigEndian(frame[4..], ((uint)flags << 24) | (uint)length);
    }
}
