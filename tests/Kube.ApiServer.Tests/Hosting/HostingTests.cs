using k8s.Models;
using Kube.Core.Client;
using Kube.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kube.ApiServer.Tests.Hosting;

[TestClass]
public sealed class HostingTests
{
    [TestMethod]
    public async Task AddKubeApiServer_StartsServer_AndRegistersInProcessClient()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kube-apiserver-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dir });
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddSingleton<IKeyValueStore>(store);
            builder.Services.AddKubeApiServer(o => o.Port = 0);
            using var host = builder.Build();
            await host.StartAsync();
            var client = host.Services.GetRequiredService<IKubeClient>();
            var ns = await client.GetAsync<V1Namespace>("kube-system");
            Assert.AreEqual("Active", ns.Status.Phase);
            await host.StopAsync();
        }
        finally
        {
            await store.DisposeAsync();
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void AddKubeApiServer_BadOptions_FailsAtStart()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IKeyValueStore>(_ => throw new InvalidOperationException("unused"));
        builder.Services.AddKubeApiServer(o => o.BindAddress = "not-an-ip");
        using var host = builder.Build();
        Assert.ThrowsExactly<Microsoft.Extensions.Options.OptionsValidationException>(() => host.StartAsync().GetAwaiter().GetResult());
    }
}
