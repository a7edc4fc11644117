namespace Kube.Node.Server.Spdy;

/// <summary>
/// One SPDY/3 frame as read off the wire: a data frame (<see cref="SpdyFrameType.Data"/>, with its stream id), or a control
/// frame with its type, flags and payload (for frames about one stream, <see cref="StreamId"/> is read from the payload).
/// </summary>
internal readonly record struct SpdyFrame(SpdyFrameType Type, byte Flags, uint StreamId, ReadOnlyMemory<byte> Payload)
{
    public bool IsData => Type == SpdyFrameType.Data;

    public bool Fin => (Flags & SpdyProtocol.FlagFin) != 0;
}
