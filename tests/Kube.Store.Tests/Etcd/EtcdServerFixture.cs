using System.Net;
using Grpc.Net.Client;
using Kube.Store.Etcd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Tests.Etcd;

/// <summary>A real Kestrel server (127.0.0.1, cleartext HTTP/2) serving the etcd API over an embedded store.</summary>
internal sealed class EtcdServerFixture : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EtcdServerFixture(WebApplication app, string dataDir, string endpoint)
    {
        _app = app;
        DataDir = dataDir;
        Endpoint = endpoint;
        Channel = GrpcChannel.ForAddress("http://" + endpoint);
    }

    public string DataDir { get; }

    /// <summary>host:port, as etcdctl's --endpoints wants it.</summary>
    public string Endpoint { get; }

    public GrpcChannel Channel { get; }

    public static async Task<EtcdServerFixture> StartAsync()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "kube-store-tests", Guid.NewGuid().ToString("N"));
        var app = EtcdServer.Create(new StoreOptions { DataDir = dataDir }, [new IPEndPoint(IPAddress.Loopback, 0)], b => b.Logging.ClearProviders());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EtcdServerFixture(app, dataDir, new Uri(address).Authority);
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
