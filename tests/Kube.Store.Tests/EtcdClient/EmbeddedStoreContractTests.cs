using Kube.Store;

namespace Kube.Store.Tests.EtcdClient;

/// <summary>The behaviour suite against the embedded store, in-process.</summary>
[TestClass]
public sealed class EmbeddedStoreContractTests : KeyValueStoreContractTests
{
    private static string? s_dataDir;
    private static EmbeddedStore? s_store;

    protected override IKeyValueStore? Store => s_store;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_dataDir = Path.Combine(Path.GetTempPath(), "kube-store-tests", Guid.NewGuid().ToString("N"));
        s_store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = s_dataDir, LeaseCheckInterval = TimeSpan.FromMilliseconds(100) });
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        if (s_store is not null)
        {
            await s_store.DisposeAsync();
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
