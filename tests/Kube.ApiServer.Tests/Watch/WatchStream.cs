using System.Text.Json.Nodes;

namespace Kube.ApiServer.Tests.Watch;

/// <summary>A real HTTP watch: reads newline-delimited events as they are flushed.</summary>
internal sealed class WatchStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;
    private readonly CancellationTokenSource _cts = new();

    private WatchStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public int StatusCode => (int)_response.StatusCode;

    public HttpResponseMessage Response => _response;

    public static async Task<WatchStream> OpenAsync(HttpClient http, string path, string? accept = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null) req.Headers.TryAddWithoutValidation("Accept", accept);
        var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        var stream = await resp.Content.ReadAsStreamAsync();
        return new WatchStream(resp, new StreamReader(stream));
    }

    /// <summary>The next event, or null when the stream ended; fails after the timeout.</summary>
    public async Task<JsonObject?> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            var line = await _reader.ReadLineAsync(cts.Token);
            return line is null ? null : JsonNode.Parse(line)!.AsObject();
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("no watch event arrived in time");
            return null;
        }
    }

    public async Task<string> ReadAllAsync() => await _reader.ReadToEndAsync();

    public static string Type(JsonObject e) => e["type"]!.GetValue<string>();

    public static string Name(JsonObject e) => e["object"]!["metadata"]!["name"]!.GetValue<string>();

    public ValueTask DisposeAsync()
    {
        _cts.Cancel();
        _reader.Dispose();
        _response.Dispose();
        _cts.Dispose();
        return ValueTask.CompletedTask;
    }
}
