using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.Resources;
using Kube.Core.Tests.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.Hosting;

[TestClass]
public sealed class CoreServiceCollectionExtensionsTests
{
    [TestMethod]
    public async Task AddKubeCore_RegistersInfrastructure_AndHostedServiceRunsTheFactory()
    {
        var client = new InMemoryKubeClient();
        await client.CreateAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "a", NamespaceProperty = "default" } });
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IKubeClient>(client);
        services.AddKubeCore().AddKubeCore(); // idempotent
        await using var sp = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        Assert.AreSame(TimeProvider.System, sp.GetRequiredService<TimeProvider>());
        Assert.IsNotNull(sp.GetRequiredService<ResourceTypeRegistry>().For<V1Pod>());
        var factory = sp.GetRequiredService<ISharedInformerFactory>();
        var hosted = sp.GetServices<IHostedService>().ToArray();
        Assert.AreEqual(1, hosted.Length);

        var pods = factory.GetInformer<V1Pod>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await hosted[0].StartAsync(cts.Token);
        await factory.WaitForCacheSyncAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsNotNull(pods.Cache.Get("default", "a"));
        await Eventually.TrueAsync(() => client.ActiveWatchers == 1, "watching");
        await hosted[0].StopAsync(cts.Token);
        Assert.AreEqual(0, client.ActiveWatchers, "stop ends the watches");
    }

    [TestMethod]
    public void AddKubeCore_KeepsRegistrationsMadeBefore()
    {
        var services = new ServiceCollection();
        var registry = new ResourceTypeRegistry();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton(registry);
        services.AddKubeCore();
        using var sp = services.BuildServiceProvider();
        Assert.AreSame(time, sp.GetRequiredService<TimeProvider>());
        Assert.AreSame(registry, sp.GetRequiredService<ResourceTypeRegistry>());
    }

    [TestMethod]
    public async Task AddKubeEventRecorder_WritesThroughTheRegisteredClient()
    {
        var client = new InMemoryKubeClient();
        var services = new ServiceCollection();
        services.AddSingleton<IKubeClient>(client);
        services.AddKubeEventRecorder(new Kube.Core.Events.EventRecorderOptions { ReportingController = "test" });
        await using var sp = services.BuildServiceProvider();
        var recorder = sp.GetRequiredService<Kube.Core.Events.IEventRecorder>();
        recorder.Record(new V1Pod { Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default" } }, "Normal", "Started", "Start");
        await Eventually.TrueAsync(() => client.ListAsync<Eventsv1Event>("default").Result.Items.Count == 1, "event written");
    }
}
