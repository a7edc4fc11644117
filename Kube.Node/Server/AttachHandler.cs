using System.Net;
using System.Text;
using Kube.Node.Runtime;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Server;

/// <summary>
/// The kubelet's <c>/attach/{namespace}/{pod}/{container}?stdin=&amp;stdout=&amp;stderr=&amp;tty=</c> for <c>kubectl attach</c> and
/// <c>kubectl debug -it</c>: a WebSocket with the <c>v5.channel.k8s.io</c> or <c>v4.channel.k8s.io</c> subprotocol, run by
/// <see cref="ExecSession"/> around an <see cref="AttachedContainer"/>: what the running container writes from now on (stdout on
/// channel 1 and stderr on channel 2 where the runtime carries them apart, as upstream; otherwise both on channel 1),
/// stdin frames (channel 0) to its standard input when it was created with <c>stdin: true</c>, resize frames (channel 4) to its
/// terminal; a Success status (channel 3) when the container stops. The client leaving only detaches.
/// </summary>
/// <remarks>
/// A runtime that serves attach itself (<see cref="IStreamingAttachRuntime"/>, CRI: containerd's streaming server) is relayed to, as
/// upstream's kubelet does: stdin, stdout and stderr apart, resize and the end all come from it. Otherwise the output is the
/// container's output from the runtime (<see cref="IAttachRuntime.OpenOutput"/>, the process runtime's output pump: stdout and stderr
/// apart) or else its log followed from now on; stdin then needs a runtime that keeps the container's input (<see cref="IAttachRuntime"/>,
/// the process runtime); others answer stdin=true with a Failure status. A container without stdin ignores stdin=true, as kubectl
/// warns of it itself.
/// </remarks>
internal sealed class AttachHandler(IContainerRuntime runtime, TimeSpan pollInterval, TimeProvider time, ILogger logger)
{
    private static readonly string[] Subprotocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

    public async Task ServeAsync(HttpListenerContext context, string ns, string pod, string container, CancellationToken cancellationToken)
    {
        if (!context.Request.IsWebSocketRequest)
        {
            await WriteTextAsync(context.Response, 400, "attach needs a WebSocket upgrade with the v5.channel.k8s.io or v4.channel.k8s.io subprotocol").ConfigureAwait(false);
            return;
        }

        var offered = (context.Request.Headers["Sec-WebSocket-Protocol"] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var protocol = Subprotocols.FirstOrDefault(p => offered.Contains(p, StringComparer.Ordinal));
        if (protocol is null)
        {
            await WriteTextAsync(context.Response, 400, $"none of the offered subprotocols [{string.Join(", ", offered)}] is supported; use {string.Join(" or ", Subprotocols)}").ConfigureAwait(false);
            return;
        }

        var sandbox = (await runtime.ListPodSandboxesAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => s.PodNamespace == ns && s.PodName == pod).MaxBy(s => s.CreatedAt);
        var run = sandbox is null ? null : (await runtime.ListContainersAsync(sandbox.Id, cancellationToken).ConfigureAwait(false))
            .Where(c => c.Name == container).MaxBy(c => c.Attempt);
        if (run is null)
        {
            await WriteTextAsync(context.Response, 404, $"container \"{container}\" in pod \"{pod}\" (namespace \"{ns}\") not found on this node").ConfigureAwait(false);
            return;
        }

        var q = context.Request.QueryString;
        var stdin = Bool(q["stdin"]);
        using var ws = (await context.AcceptWebSocketAsync(protocol).ConfigureAwait(false)).WebSocket;
        var session = new ExecSession(ws, protocol == Subprotocols[0], time, logger);
        var stdout = q["stdout"] is null || Bool(q["stdout"]);
        var stderr = q["stderr"] is null || Bool(q["stderr"]);
        var tty = Bool(q["tty"]);
        await session.RunAsync((_, ct) => AttachAsync(run, stdin, stdout, stderr, tty, ct), stdin, stdout, stderr, tty, cancellationToken).ConfigureAwait(false);
        logger.LogDebug("attach to {Namespace}/{Pod}/{Container} ended", ns, pod, container);
    }

    /// <summary>The attach; throws <see cref="InvalidOperationException"/> (sent as a Failure status) when it cannot be had.</summary>
    private async Task<ExecProcess> AttachAsync(ContainerStatus run, bool stdin, bool stdout, bool stderr, bool tty, CancellationToken cancellationToken)
    {
        if (run.State != ContainerState.Running)
        {
            throw new InvalidOperationException($"container {run.Name} is not running");
        }

        if (runtime is IStreamingAttachRuntime streaming)
        {
            return await streaming.AttachAsync(run.Id, stdin, stdout, stderr, tty, cancellationToken).ConfigureAwait(false);
        }

        if (run.LogPath is null)
        {
            throw new InvalidOperationException($"the output of container {run.Name} cannot be followed: the {runtime.RuntimeName} runtime keeps no log of it");
        }

        // The output first: where "from now on" starts must come before any input the session writes.
        var output = (runtime as IAttachRuntime)?.OpenOutput(run.Id);
        ContainerInput? input = null;
        try
        {
            if (stdin)
            {
                if (runtime is not IAttachRuntime attachable)
                {
                    throw new InvalidOperationException($"attaching to the standard input of container {run.Name} is not supported by the {runtime.RuntimeName} runtime: it keeps no pipe to a running container's input");
                }

                input = attachable.OpenInput(run.Id);
            }

            return new AttachedContainer(runtime, run, input, output, pollInterval, time);
        }
        catch
        {
            output?.Dispose();
            input?.Dispose();
            throw;
        }
    }

    private static bool Bool(string? value) => value is "1" || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    private static async Task WriteTextAsync(HttpListenerResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(text);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }
}
