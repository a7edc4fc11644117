using System.Globalization;
using System.Text;

namespace Kube.Node.Server;

/// <summary>
/// The head of one HTTP/1.1 request read off the kubelet's TLS stream, so that <see cref="KubeletTlsFront"/> can authorize
/// it before relaying. <see cref="Forward"/> is the head to send on: unchanged for an Upgrade (exec, attach, port-forward
/// own the connection after it), otherwise with <c>Connection: close</c>, so each relayed connection carries exactly one
/// authorized request; <see cref="BodyLength"/> says how many body bytes belong to it.
/// </summary>
internal sealed class KubeletRequestHead
{
    /// <summary>The largest head accepted: 64 KiB.</summary>
    public const int MaxHeadBytes = 64 * 1024;

    private KubeletRequestHead(string method, string path, byte[] forward, byte[] extra, bool upgrade, long bodyLength)
    {
        Method = method;
        Path = path;
        Forward = forward;
        Extra = extra;
        IsUpgrade = upgrade;
        BodyLength = bodyLength;
    }

    public string Method { get; }

    /// <summary>The request path without its query, percent-decoding left as sent.</summary>
    public string Path { get; }

    public byte[] Forward { get; }

    /// <summary>Bytes read past the head (the start of the body).</summary>
    public byte[] Extra { get; }

    public bool IsUpgrade { get; }

    /// <summary>Content-Length, 0 without one; -1 for a chunked body (only relayed on an upgrade).</summary>
    public long BodyLength { get; }

    /// <summary>Reads the head; null when the client sent no complete, well-formed head within the limits.</summary>
    public static async Task<KubeletRequestHead?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeadBytes];
        var filled = 0;
        var end = -1;
        while (end < 0)
        {
            if (filled == buffer.Length) return null;
            var n = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0) return null;
            filled += n;
            end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
        }
        var lines = Encoding.Latin1.GetString(buffer, 0, end).Split("\r\n");
        var first = lines[0].Split(' ');
        if (first.Length != 3 || !first[2].StartsWith("HTTP/1.", StringComparison.Ordinal)) return null;
        var target = first[1];
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? target : target[..query];
        if (!path.StartsWith('/')) return null;

        var upgrade = false;
        long length = 0;
        var headers = new List<string>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) return null;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)) upgrade = true;
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out length)) return null;
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase)) length = -1;
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)) continue;
            headers.Add(line);
        }
        byte[] forward;
        if (upgrade)
        {
            forward = buffer[..(end + 4)];
        }
        else
        {
            if (length < 0) return null; // a chunked body without an upgrade: not something the API server sends a kubelet
            var head = new StringBuilder(lines[0]).Append("\r\n");
            foreach (var h in headers) head.Append(h).Append("\r\n");
            head.Append("Connection: close\r\n\r\n");
            forward = Encoding.Latin1.GetBytes(head.ToString());
        }
        return new KubeletRequestHead(first[0], path, forward, buffer[(end + 4)..filled], upgrade, length);
    }
}
