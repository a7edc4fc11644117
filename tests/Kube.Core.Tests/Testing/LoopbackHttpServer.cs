using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Kube.Core.Tests.Testing;

/// <summary>A recorded HTTP request.</summary>
internal sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string Path => PathAndQuery.Split('?')[0];

    public string Query => PathAndQuery.Contains('?') ? PathAndQuery[(PathAndQuery.IndexOf('?') + 1)..] : "";

    public string? QueryValue(string key) =>
        Query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .Where(p => Uri.UnescapeDataString(p[0]) == key).Select(p => Uri.UnescapeDataString(p.Length > 1 ? p[1] : "")).FirstOrDefault();
}

/// <summary>What the server answers: a status and either a body or a stream of lines (ended when the channel completes).</summary>
internal sealed record CannedResponse(int Status, string Body = "", ChannelReader<string>? Lines = null);

/// <summary>
/// A tiny HTTP/1.1 server on 127.0.0.1 over a real socket, for testing <c>HttpKubeClient</c> before the API server
/// has HTTP. One request per connection (Connection: close); streamed bodies end when the line channel completes.
/// </summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _cts = new();
    private readonly Func<RecordedRequest, CancellationToken, Task<CannedResponse>> _handler;
    private readonly Task _accept;
    private readonly List<RecordedRequest> _requests = [];

    public LoopbackHttpServer(Func<RecordedRequest, CancellationToken, Task<CannedResponse>> handler)
    {
        _handler = handler;
        _listener.Start();
        _accept = Task.Run(AcceptLoopAsync);
    }

    public LoopbackHttpServer(Func<RecordedRequest, CannedResponse> handler)
        : this((r, _) => Task.FromResult(handler(r)))
    {
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (_requests) return _requests.ToArray(); }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_cts.Token);
            }
            catch (Exception)
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
                var head = new StringBuilder();
                var buf = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    if (await stream.ReadAsync(buf, _cts.Token) == 0) return;
                    head.Append((char)buf[0]);
                    if (head.Length > 64 * 1024) return;
                }

                var lines = head.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
                var first = lines[0].Split(' ');
                var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
                var body = "";
                if (headers.TryGetValue("Content-Length", out var len) && int.Parse(len) > 0)
                {
                    var bytes = new byte[int.Parse(len)];
                    await stream.ReadExactlyAsync(bytes, _cts.Token);
                    body = Encoding.UTF8.GetString(bytes);
                }

                var request = new RecordedRequest(first[0], first[1], headers, body);
                lock (_requests) _requests.Add(request);
                var response = await _handler(request, _cts.Token);
                var reason = response.Status switch { 200 => "OK", 201 => "Created", 404 => "Not Found", 409 => "Conflict", 410 => "Gone", _ => "Status" };
                if (response.Lines is null)
                {
                    var payload = Encoding.UTF8.GetBytes(response.Body);
                    var h = $"HTTP/1.1 {response.Status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(h), _cts.Token);
                    await stream.WriteAsync(payload, _cts.Token);
                }
                else
                {
                    var h = $"HTTP/1.1 {response.Status} {reason}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(h), _cts.Token);
                    await stream.FlushAsync(_cts.Token);
                    await foreach (var line in response.Lines.ReadAllAsync(_cts.Token))
                    {
                        var data = Encoding.UTF8.GetBytes(line + "\n");
                        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{data.Length:X}\r\n"), _cts.Token);
                        await stream.WriteAsync(data, _cts.Token);
                        await stream.WriteAsync("\r\n"u8.ToArray(), _cts.Token);
                        await stream.FlushAsync(_cts.Token);
                    }

                    await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), _cts.Token);
                }

                await stream.FlushAsync(_cts.Token);
            }
            catch (Exception) when (_cts.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine("loopback server: " + ex);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Stop();
        try
        {
            await _accept.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
        }

        _cts.Dispose();
    }
}
