using System.Net;
using Kube.Store;
using Kube.Store.Etcd;
using Kube.Store.Etcd.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kube.Store.Tests.EtcdClient;

/// <summary>
/// The behaviour suite through <see cref="EtcdClientStore"/> against our own member's etcd gRPC API: the client and the
/// server agree with each other as they each agree with etcd.
/// </summary>
[TestClass]
public sealed class EtcdClientOverKubeStoreContractTests : KeyValueStoreContractTests
{
    private static string? s_dataDir;
    private static WebApplication? s_app;
    private static EtcdClientStore? s_store;

    protected override IKeyValueStore? Store => s_store;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_dataDir = Path.Combine(Path.GetTempPath(), "kube-store-tests", Guid.NewGuid().ToString("N"));
        s_app = EtcdServer.Create(new StoreOptions { DataDir = s_dataDir, LeaseCheckInterval = TimeSpan.FromMilliseconds(100) },
            [new IPEndPoint(IPAddress.Loopback, 0)], b => b.Logging.ClearProviders());
        await s_app.StartAsync();
        var address = s_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        s_store = new EtcdClientStore(new EtcdClientOptions { Endpoints = [address] });
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        if (s_store is not null)
        {
            await s_store.DisposeAsync();
        }
        if (s_app is not null)
        {
            await s_app.StopAsync();
            await s_app.DisposeAsync();
        }
        try
        {
            Directory.Delete(s_dataDir!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
