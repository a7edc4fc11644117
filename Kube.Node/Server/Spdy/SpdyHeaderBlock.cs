using System.Buffers.Binary;
using System.Text;

namespace Kube.Node.Server.Spdy;

/// <summary>
/// SPDY/3 name/value header blocks before compression: a 32-bit pair count, then per pair a 32-bit length and the name
/// (lower case), a 32-bit length and the value (several values joined by NUL).
/// </summary>
internal static class SpdyHeaderBlock
{
    /// <summary>The most pairs, and the most bytes for one name or value, accepted from a peer.</summary>
    public const int MaxPairs = 1024;

    /// <summary>The longest name or value accepted from a peer.</summary>
    public const int MaxStringLength = 64 * 1024;

    public static byte[] Encode(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var output = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)headers.Count);
        output.Write(length);
        foreach (var (name, value) in headers)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("a SPDY header name must not be empty", nameof(headers));
            }

            foreach (var s in new[] { name.ToLowerInvariant(), value ?? "" })
            {
                var bytes = Encoding.UTF8.GetBytes(s);
                BinaryPrimitives.WriteUInt32BigEndian(length, (uint)bytes.Length);
                output.Write(length);
                output.Write(bytes);
            }
        }

        return output.ToArray();
    }

    /// <summary>Reads one block from <paramref name="source"/> (the decompressed stream): exactly its bytes and no more.</summary>
    /// <exception cref="InvalidDataException">The block breaks a limit or a rule (empty or upper-case name, duplicate name).</exception>
    public static Dictionary<string, string> Decode(Stream source)
    {
        var count = ReadLength(source, MaxPairs, "header pair count");
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = ReadString(source, "header name");
            var value = ReadString(source, "header value");
            if (name.Length == 0 || !string.Equals(name, name.ToLowerInvariant(), StringComparison.Ordinal))
            {
                throw new InvalidDataException($"SPDY header name \"{name}\" is empty or not lower case");
            }

            if (!headers.TryAdd(name, value))
            {
                throw new InvalidDataException($"SPDY header \"{name}\" appears twice in one block");
            }
        }

        return headers;
    }

    private static string ReadString(Stream source, string what)
    {
        var length = ReadLength(source, MaxStringLength, what);
        var bytes = new byte[length];
        source.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    private static int ReadLength(Stream source, int max, string what)
    {
        Span<byte> buffer = stackalloc byte[4];
        source.ReadExactly(buffer);
        var value = BinaryPrimitives.ReadUInt32BigEndian(buffer);
        if (value > max)
        {
            throw new InvalidDataException($"SPDY {what} {value} is over the limit of {max}");
        }

        return (int)value;
    }
}
