using System.Globalization;
using System.Text;

namespace Kube.Node.Server;

/// <summary>
/// Writes log bytes to a response, honouring limitBytes and, with timestamps, prefixing each line with an RFC 3339 time.
/// The process runtime records no per-line times, so the prefix is the time the agent read the line (exact for followed
/// output, the read time for older lines).
/// </summary>
internal sealed class LogWriter(Stream output, bool timestamps, int? limitBytes, TimeProvider time)
{
    private long _written;
    private bool _atLineStart = true;

    /// <summary>Writes; returns false once limitBytes is reached.</summary>
    public async Task<bool> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.Length == 0)
        {
            return true;
        }

        if (timestamps)
        {
            var stamp = Encoding.UTF8.GetBytes(time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture) + " ");
            var buffer = new MemoryStream();
            foreach (var b in data.Span)
            {
                if (_atLineStart)
                {
                    buffer.Write(stamp);
                    _atLineStart = false;
                }

                buffer.WriteByte(b);
                _atLineStart = b == (byte)'\n';
            }

            data = buffer.ToArray();
        }

        if (limitBytes is int limit)
        {
            var left = limit - _written;
            if (left <= 0)
            {
                return false;
            }

            if (data.Length > left)
            {
                data = data[..(int)left];
            }
        }

        await output.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        _written += data.Length;
        return limitBytes is not int l || _written < l;
    }

    public Task FlushPartialAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);
}
