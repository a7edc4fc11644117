namespace Kube.Node.Server.Spdy;

/// <summary>SPDY/3 control frame types (type 0 here stands for a data frame).</summary>
internal enum SpdyFrameType : ushort
{
    Data = 0,
    SynStream = 1,
    SynReply = 2,
    RstStream = 3,
    Settings = 4,
    Ping = 6,
    GoAway = 7,
    Headers = 8,
    WindowUpdate = 9,
    Credential = 10,
}
