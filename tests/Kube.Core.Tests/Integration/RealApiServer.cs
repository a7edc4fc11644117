using Kube.ApiServer;
using Kube.Core.Client;
using Kube.Core.Resources;
using Kube.Store;

namespace Kube.Core.Tests.Integration;

/// <summary>A real <see cref="KubeApiServer"/> on an ephemeral loopback port over a real EmbeddedStore in a temp directory.</summary>
internal sealed class RealApiServer : IAsyncDisposable
{
    private RealApiServer(string dir, EmbeddedStore store, KubeApiServer server)
    {
        DataDir = dir;
        Store = store;
        Server = server;
        Client = new HttpKubeClient(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, server.BaseAddress, ResourceTypeRegistry.CreateDefault(),
            new HttpKubeClientOptions { RequestTimeout = TimeSpan.FromSeconds(30) });
    }

    public string DataDir { get; }

    public EmbeddedStore Store { get; }

    public KubeApiServer Server { get; }

    /// <summary>Our HTTP client, pointed at the server.</summary>
    public HttpKubeClient Client { get; }

    public static async Task<RealApiServer> StartAsync(Action<ApiServerOptions>? configure = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "kube-core-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dir });
        var options = new ApiServerOptions { Port = 0 };
        configure?.Invoke(options);
        var server = await KubeApiServer.StartAsync(options, store);
        return new RealApiServer(dir, store, server);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
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
