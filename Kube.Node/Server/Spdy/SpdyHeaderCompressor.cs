using System.IO.Compression;

namespace Kube.Node.Server.Spdy;

/// <summary>
/// One direction's header compression context: every block of a session goes through the same zlib stream, each ended by a
/// sync flush so the peer can decode it at once. The output does not refer to SPDY's preset dictionary (a zlib stream
/// without FDICT is valid for any SPDY/3 peer), since .NET's zlib has no preset-dictionary API.
/// </summary>
internal sealed class SpdyHeaderCompressor : IDisposable
{
    private readonly MemoryStream _output = new();
    private readonly ZLibStream _zlib;

    public SpdyHeaderCompressor()
    {
        _zlib = new ZLibStream(_output, CompressionLevel.Fastest, leaveOpen: true);
    }

    /// <summary>Compresses one block; call in the order the frames go out.</summary>
    public byte[] Compress(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        _output.SetLength(0);
        _zlib.Write(SpdyHeaderBlock.Encode(headers));
        _zlib.Flush();
        return _output.ToArray();
    }

    public void Dispose()
    {
        _zlib.Dispose();
        _output.Dispose();
    }
}
