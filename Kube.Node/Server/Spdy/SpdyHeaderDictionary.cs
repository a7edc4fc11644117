using System.Buffers.Binary;
using System.Text;

namespace Kube.Node.Server.Spdy;

/// <summary>
/// SPDY/3's fixed zlib dictionary for name/value header blocks (draft-mbelshe-httpbis-spdy-00, section 2.6.10.1): a run of
/// words each preceded by its 32-bit big-endian length, then a plain run of status lines, dates and media types.
/// </summary>
internal static class SpdyHeaderDictionary
{
    private static readonly string[] LengthPrefixed =
    [
        "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding", "accept-language",
        "accept-ranges", "age", "allow", "authorization", "cache-control", "connection", "content-base", "content-encoding",
        "content-language", "content-length", "content-location", "content-md5", "content-range", "content-type", "date", "etag",
        "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
        "last-modified", "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
        "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
        "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive",
        "origin",
    ];

    private const string Plain =
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505" +
        "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden" +
        "404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable" +
        "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT" +
        "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript," +
        "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

    /// <summary>The dictionary's bytes.</summary>
    public static ReadOnlyMemory<byte> Bytes { get; } = Build();

    /// <summary>The dictionary's Adler-32, as a zlib stream with a preset dictionary names it (DICTID).</summary>
    public static uint Adler32 { get; } = ComputeAdler32(Bytes.Span);

    private static byte[] Build()
    {
        var buffer = new List<byte>(1500);
        Span<byte> length = stackalloc byte[4];
        foreach (var word in LengthPrefixed)
        {
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)word.Length);
            buffer.AddRange(length.ToArray());
            buffer.AddRange(Encoding.ASCII.GetBytes(word));
        }

        buffer.AddRange(Encoding.ASCII.GetBytes(Plain));
        return [.. buffer];
    }

    /// <summary>zlib's Adler-32 checksum (RFC 1950).</summary>
    public static uint ComputeAdler32(ReadOnlySpan<byte> data)
    {
        const uint Mod = 65521;
        uint a = 1, b = 0;
        foreach (var x in data)
        {
            a = (a + x) % Mod;
            b = (b + a) % Mod;
        }

        return (b << 16) | a;
    }
}
