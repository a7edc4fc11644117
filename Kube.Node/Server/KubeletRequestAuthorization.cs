using System.Text;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Server;

/// <summary>
/// The per-request half of <see cref="KubeletTlsFront"/> when <see cref="KubeletServerTlsOptions.Authorizer"/> is set: reads
/// the request head, asks the authorizer about its <see cref="KubeletRequestAttributes"/>, answers 403/500 itself (upstream's
/// kubelet bodies) or hands back the head to relay, then relays exactly that one request's body.
/// </summary>
internal static class KubeletRequestAuthorization
{
    /// <summary>How long a client has to send its request head after the handshake: 30 seconds.</summary>
    public static TimeSpan HeadTimeout { get; } = TimeSpan.FromSeconds(30);

    /// <summary>The head to relay, or null when the request was refused here (the response is written).</summary>
    public static async Task<KubeletRequestHead?> AuthorizeAsync(Stream client, IKubeletAuthorizer authorizer, string user, IReadOnlyList<string> groups,
        ILogger logger, CancellationToken cancellationToken)
    {
        KubeletRequestHead? head;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(HeadTimeout);
            try
            {
                head = await KubeletRequestHead.ReadAsync(client, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                head = null;
            }
        }
        if (head is null)
        {
            await WriteAsync(client, 400, "Bad Request", "bad request\n", cancellationToken).ConfigureAwait(false);
            return null;
        }
        var attributes = KubeletRequestAttributes.For(user, groups, head.Method, head.Path, authorizer.NodeName);
        var decision = await authorizer.AuthorizeAsync(attributes, cancellationToken).ConfigureAwait(false);
        if (decision == KubeletAuthorizationDecision.Allow) return head;
        logger.LogInformation("Kubelet server: {Decision} {Method} {Path} for user {User} (groups {Groups})",
            decision, head.Method, head.Path, user, string.Join(",", groups));
        if (decision == KubeletAuthorizationDecision.Deny)
            await WriteAsync(client, 403, "Forbidden", attributes.ForbiddenMessage, cancellationToken).ConfigureAwait(false);
        else
            await WriteAsync(client, 500, "Internal Server Error", attributes.ErrorMessage, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Sends <paramref name="head"/> and its body to <paramref name="backend"/>; an upgrade then relays everything, otherwise
    /// whatever else the client sends (a pipelined request) is read and dropped, never relayed unauthorized.
    /// </summary>
    public static async Task RelayRequestAsync(Stream client, Stream backend, System.Net.Sockets.Socket backendSocket, KubeletRequestHead head, CancellationToken cancellationToken)
    {
        await backend.WriteAsync(head.Forward, cancellationToken).ConfigureAwait(false);
        if (head.IsUpgrade)
        {
            await backend.WriteAsync(head.Extra, cancellationToken).ConfigureAwait(false);
            await client.CopyToAsync(backend, cancellationToken).ConfigureAwait(false);
            backendSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            return;
        }
        var remaining = head.BodyLength;
        var first = (int)Math.Min(remaining, head.Extra.Length);
        await backend.WriteAsync(head.Extra.AsMemory(0, first), cancellationToken).ConfigureAwait(false);
        remaining -= first;
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var n = await client.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0) return;
            var take = (int)Math.Min(remaining, n);
            if (take > 0) await backend.WriteAsync(buffer.AsMemory(0, take), cancellationToken).ConfigureAwait(false);
            remaining -= take;
        }
    }

    private static async Task WriteAsync(Stream client, int status, string text, string body, CancellationToken cancellationToken)
    {
        body += body.EndsWith('\n') ? "" : "\n";
        var response = $"HTTP/1.1 {status} {text}\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n" +
                       $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await client.WriteAsync(Encoding.UTF8.GetBytes(response), cancellationToken).ConfigureAwait(false);
        await client.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
