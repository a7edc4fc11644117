using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Store;

namespace Kube.ApiServer.Tests;

/// <summary>A real API server on an ephemeral port over a real EmbeddedStore in a temp directory.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private TestCluster(string dir, EmbeddedStore store, KubeApiServer server)
    {
        DataDir = dir;
        Store = store;
        Server = server;
        Http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Client = server.CreateClient(UserInfo.Admin);
    }

    public string DataDir { get; }
    public EmbeddedStore Store { get; }
    public KubeApiServer Server { get; }
    public HttpClient Http { get; }
    public IKubeClient Client { get; }

    public static async Task<TestCluster> StartAsync(Action<ApiServerOptions>? configure = null, IServiceProvider? services = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "kube-apiserver-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dir });
        var options = new ApiServerOptions { Port = 0 };
        configure?.Invoke(options);
        var server = await KubeApiServer.StartAsync(options, store, services);
        return new TestCluster(dir, store, server);
    }

    public async Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? body = null,
        string contentType = "application/json", string? accept = null)
    {
        using var req = new HttpRequestMessage(method, path);
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(contentType.Split(';')[0]));
        if (accept is not null) req.Headers.TryAddWithoutValidation("Accept", accept);
        var resp = await Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        JsonNode? node = null;
        if (text.Length > 0 && (text[0] == '{' || text[0] == '[')) node = JsonNode.Parse(text);
        return ((int)resp.StatusCode, node, resp);
    }

    public Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> GetAsync(string path, string? accept = null) => SendAsync(HttpMethod.Get, path, accept: accept);

    public Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> PostAsync(string path, string body) => SendAsync(HttpMethod.Post, path, body);

    public Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> PutAsync(string path, string body) => SendAsync(HttpMethod.Put, path, body);

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(20);
        }
        Assert.Fail($"Timed out waiting for {what ?? "a condition"}");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        await Store.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
