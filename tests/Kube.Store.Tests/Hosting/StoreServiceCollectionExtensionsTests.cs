using Kube.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Hosting;

[TestClass]
public sealed class StoreServiceCollectionExtensionsTests
{
    [TestMethod]
    public async Task AddKubeStore_RegistersAWorkingStore_ThatSurvivesAHostRestart()
    {
        await using var ctx = new StoreTestContext();
        for (var run = 0; run < 2; run++)
        {
            var services = new ServiceCollection();
            services.AddKubeStore(o => o.DataDir = ctx.DataDir);
            services.AddKubeStore(o => o.MemberName = "m1"); // idempotent; both configurations apply
            await using var provider = services.BuildServiceProvider();
            var hosted = provider.GetServices<IHostedService>().ToList();
            Assert.AreEqual(1, hosted.Count);
            var store = provider.GetRequiredService<IKeyValueStore>();
            Assert.AreSame<object>(store, hosted[0]);

            // Usable before the hosted service starts (another service's StartAsync may need it).
            if (run == 0)
            {
                await store.PutAsync(new PutRequest(B("/di"), B("v")));
            }
            await hosted[0].StartAsync(CancellationToken.None);
            Assert.AreEqual("v", S((await store.RangeAsync(new RangeRequest(B("/di")))).Kvs.Single().Value));
            await hosted[0].StopAsync(CancellationToken.None);
            var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await store.StatusAsync());
            Assert.AreEqual(StoreErrorCode.Stopped, ex.Code);
        }
    }

    [TestMethod]
    public void AddKubeStore_WithoutADataDir_FailsValidationNamingTheSetting()
    {
        var services = new ServiceCollection();
        services.AddKubeStore(o => o.SnapshotCount = -1);
        using var provider = services.BuildServiceProvider();
        var ex = Assert.ThrowsExactly<OptionsValidationException>(() => provider.GetRequiredService<IOptions<StoreOptions>>().Value);
        StringAssert.Contains(ex.Message, "DataDir is required");
        StringAssert.Contains(ex.Message, "SnapshotCount");
    }
}
