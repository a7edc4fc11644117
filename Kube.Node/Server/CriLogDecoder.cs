using System.Text;

namespace Kube.Node.Server;

/// <summary>
/// Decodes CRI's container log format (<c>&lt;RFC3339Nano time&gt; stdout|stderr F|P &lt;content&gt;</c> per line, P for a
/// partial line continued by the next) into the container's own output, as the kubelet does for <c>kubectl logs</c>;
/// with timestamps each output line starts with the runtime's time. Input may arrive in arbitrary chunks.
/// </summary>
internal sealed class CriLogDecoder(bool timestamps)
{
    private readonly List<byte> _pending = [];
    private bool _midLine;

    /// <summary>True when <paramref name="head"/> (a log file's first bytes) is in CRI's format.</summary>
    public static bool LooksLikeCri(ReadOnlySpan<byte> head)
    {
        var end = head.IndexOf((byte)'\n');
        var line = Encoding.UTF8.GetString(end >= 0 ? head[..end] : head);
        var parts = line.Split(' ', 4);
        return parts.Length >= 3 && parts[1] is "stdout" or "stderr" && parts[2] is "F" or "P"
            && DateTimeOffset.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _);
    }

    /// <summary>The output of the complete lines in what has arrived so far.</summary>
    public byte[] Decode(ReadOnlySpan<byte> data)
    {
        _pending.AddRange(data);
        var output = new List<byte>();
        int newline;
        while ((newline = _pending.IndexOf((byte)'\n')) >= 0)
        {
            DecodeLine(CollectionsMarshalSpan(newline), output);
            _pending.RemoveRange(0, newline + 1);
        }

        return [.. output];
    }

    /// <summary>Decodes what is left (a last line without its newline).</summary>
    public byte[] Flush()
    {
        var output = new List<byte>();
        if (_pending.Count > 0)
        {
            DecodeLine(CollectionsMarshalSpan(_pending.Count), output);
            _pending.Clear();
        }

        return [.. output];
    }

    private ReadOnlySpan<byte> CollectionsMarshalSpan(int length) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending)[..length];

    private void DecodeLine(ReadOnlySpan<byte> line, List<byte> output)
    {
        var first = line.IndexOf((byte)' ');
        var second = first < 0 ? -1 : line[(first + 1)..].IndexOf((byte)' ') + first + 1;
        var third = second <= first ? -1 : line[(second + 1)..].IndexOf((byte)' ') + second + 1;
        if (first < 0 || second <= first || third <= second)
        {
            output.AddRange(line);
            output.Add((byte)'\n');
            return;
        }

        if (timestamps && !_midLine)
        {
            output.AddRange(line[..(first + 1)]);
        }

        output.AddRange(line[(third + 1)..]);
        var partial = line[(second + 1)..third].SequenceEqual("P"u8);
        if (!partial)
        {
            output.Add((byte)'\n');
        }

        _midLine = partial;
    }
}
