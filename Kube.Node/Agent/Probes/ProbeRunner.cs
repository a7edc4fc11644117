using System.Net.Sockets;
using k8s.Models;
using Kube.Node.Runtime;

namespace Kube.Node.Agent.Probes;

/// <summary>Runs one probe once: exec through the runtime, httpGet (2xx/3xx succeeds) or tcpSocket (a connection succeeds).</summary>
internal sealed class ProbeRunner(IContainerRuntime runtime, HttpClient http)
{
    public async Task<(bool Success, string Message)> RunAsync(V1Probe probe, V1Container container, string containerId, string? podIp, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Math.Max(1, probe.TimeoutSeconds ?? 1));
        try
        {
            if (probe.Exec?.Command is { Count: > 0 } command)
            {
                var result = await runtime.ExecSyncAsync(containerId, command.ToList(), timeout, cancellationToken).ConfigureAwait(false);
                return result.TimedOut
                    ? (false, $"command timed out after {timeout.TotalSeconds:0}s")
                    : (result.ExitCode == 0, result.ExitCode == 0 ? "" : $"command exited with {result.ExitCode}: {result.Output.Trim()}");
            }

            if (probe.HttpGet is { } get)
            {
                var port = ResolvePort(get.Port, container);
                var host = string.IsNullOrEmpty(get.Host) ? podIp ?? "127.0.0.1" : get.Host;
                var scheme = string.Equals(get.Scheme, "HTTPS", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
                var path = string.IsNullOrEmpty(get.Path) ? "/" : get.Path.StartsWith('/') ? get.Path : "/" + get.Path;
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{scheme}://{host}:{port}{path}");
                request.Headers.UserAgent.ParseAdd("kube-probe/1.32");
                foreach (var h in get.HttpHeaders ?? [])
                {
                    request.Headers.TryAddWithoutValidation(h.Name, h.Value);
                }

                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(timeout);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
                var code = (int)response.StatusCode;
                return (code is >= 200 and < 400, $"HTTP probe failed with statuscode: {code}");
            }

            if (probe.TcpSocket is { } tcp)
            {
                var port = ResolvePort(tcp.Port, container);
                var host = string.IsNullOrEmpty(tcp.Host) ? podIp ?? "127.0.0.1" : tcp.Host;
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                cts.CancelAfter(timeout);
                using var socket = new TcpClient();
                await socket.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
                return (true, "");
            }

            // gRPC probes are not supported: count them as passing rather than kill a healthy container.
            return (true, "");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, $"probe timed out after {timeout.TotalSeconds:0}s");
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or IOException or ArgumentException or InvalidOperationException or FormatException)
        {
            return (false, ex.Message);
        }
    }

    private static int ResolvePort(IntOrString port, V1Container container)
    {
        if (int.TryParse(port.Value, out var number))
        {
            return number;
        }

        return container.Ports?.FirstOrDefault(p => p.Name == port.Value)?.ContainerPort
            ?? throw new ArgumentException($"port \"{port.Value}\" is not a named port of container {container.Name}");
    }
}
