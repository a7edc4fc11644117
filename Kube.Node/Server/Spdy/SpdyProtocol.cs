namespace Kube.Node.Server.Spdy;

/// <summary>SPDY/3.1 constants: frame types, flags, status codes and settings (draft-mbelshe-httpbis-spdy-00 with SPDY/3.1's flow control).</summary>
internal static class SpdyProtocol
{
    /// <summary>The only version spoken.</summary>
    public const ushort Version = 3;

    /// <summary>The default initial stream window, and the session window, in bytes (64 KiB).</summary>
    public const int DefaultWindow = 64 * 1024;

    /// <summary>The largest window SPDY allows (2^31 - 1).</summary>
    public const long MaxWindow = int.MaxValue;

    /// <summary>The largest frame payload the 24-bit length allows.</summary>
    public const int MaxFrameLength = 0xFFFFFF;

    /// <summary>Frame flag FLAG_FIN (data, SYN_STREAM, SYN_REPLY, HEADERS): the sender's last frame on the stream.</summary>
    public const byte FlagFin = 0x01;

    /// <summary>SYN_STREAM flag FLAG_UNIDIRECTIONAL: the recipient may not send on the stream.</summary>
    public const byte FlagUnidirectional = 0x02;

    /// <summary>SETTINGS entry id SETTINGS_MAX_CONCURRENT_STREAMS.</summary>
    public const uint SettingsMaxConcurrentStreams = 4;

    /// <summary>SETTINGS entry id SETTINGS_INITIAL_WINDOW_SIZE.</summary>
    public const uint SettingsInitialWindowSize = 7;
}
