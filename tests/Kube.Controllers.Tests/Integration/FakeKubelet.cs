using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Kube.Controllers.Tests.Integration;

/// <summary>
/// A kubelet that only answers <c>GET /stats/summary</c> on loopback, with per-pod usage the test sets, so the API
/// server's metrics.k8s.io has figures without a node agent. Every answer is a fresh reading (usageNanoCores, workingSetBytes).
/// </summary>
internal sealed class FakeKubelet : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<(string Ns, string Name), (long MilliCores, long Bytes)> _usage = new();
    private readonly Task _loop;

    public FakeKubelet(string nodeName)
    {
        NodeName = nodeName;
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public string NodeName { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void SetUsage(string ns, string pod, long milliCores, long bytes = 32 * 1024 * 1024) => _usage[(ns, pod)] = (milliCores, bytes);

    public void Clear() => _usage.Clear();

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var read = 0;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                while (read < buffer.Length && !Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token);
                    if (n == 0) return;
                    read += n;
                }

                var body = Encoding.UTF8.GetBytes(Summary().ToJsonString());
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head, timeout.Token);
                await stream.WriteAsync(body, timeout.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
            }
        }
    }

    private JsonObject Summary()
    {
        var now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var pods = new JsonArray();
        long nodeCpu = 0, nodeMem = 0;
        foreach (var ((ns, name), (milli, bytes)) in _usage)
        {
            nodeCpu += milli * 1_000_000;
            nodeMem += bytes;
            pods.Add(new JsonObject
            {
                ["podRef"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = name },
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "app",
                    ["startTime"] = now,
                    ["cpu"] = new JsonObject { ["time"] = now, ["usageNanoCores"] = milli * 1_000_000 },
                    ["memory"] = new JsonObject { ["time"] = now, ["workingSetBytes"] = bytes },
                }),
            });
        }

        return new JsonObject
        {
            ["node"] = new JsonObject
            {
                ["nodeName"] = NodeName,
                ["cpu"] = new JsonObject { ["time"] = now, ["usageNanoCores"] = nodeCpu },
                ["memory"] = new JsonObject { ["time"] = now, ["workingSetBytes"] = nodeMem },
            },
            ["pods"] = pods,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
