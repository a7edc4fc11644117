using Kube.ApiServer;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Store;

namespace Kube.Node.Tests;

/// <summary>A real embedded store and API server on a loopback port, for integration tests.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private TestCluster(string dir, EmbeddedStore store, KubeApiServer server)
    {
        Dir = dir;
        Store = store;
        Server = server;
        Client = server.CreateClient(UserInfo.Admin);
    }

    public string Dir { get; }

    public EmbeddedStore Store { get; }

    public KubeApiServer Server { get; }

    public IKubeClient Client { get; }

    public static async Task<TestCluster> StartAsync(IServiceProvider? services = null)
    {
        var dir = TempDirs.Create("kube-node-cluster");
        var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = Path.Combine(dir, "store") });
        var server = await KubeApiServer.StartAsync(new ApiServerOptions { Port = 0 }, store, services);
        return new TestCluster(dir, store, server);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Store.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
