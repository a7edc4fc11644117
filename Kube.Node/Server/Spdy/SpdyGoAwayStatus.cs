namespace Kube.Node.Server.Spdy;

/// <summary>GOAWAY status codes.</summary>
internal enum SpdyGoAwayStatus : uint
{
    Ok = 0,
    ProtocolError = 1,
    InternalError = 2,
}
