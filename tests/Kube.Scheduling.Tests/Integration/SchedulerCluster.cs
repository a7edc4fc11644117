using k8s.Models;
using Kube.ApiServer;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Hosting;
using Kube.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Scheduling.Tests.Integration;

/// <summary>A real API server over a real EmbeddedStore and a host running the scheduler through the in-process client.</summary>
internal sealed class SchedulerCluster : IAsyncDisposable
{
    private readonly string _dir;
    private readonly EmbeddedStore _store;
    private readonly KubeApiServer _server;
    private readonly IHost _host;
    private bool _stopped;

    private SchedulerCluster(string dir, EmbeddedStore store, KubeApiServer server, IHost host)
    {
        _dir = dir;
        _store = store;
        _server = server;
        _host = host;
        Client = server.CreateClient(UserInfo.Admin);
    }

    public IKubeClient Client { get; }

    /// <summary>This cluster's own scheduler.</summary>
    public KubeScheduler Scheduler => _host.Services.GetRequiredService<KubeScheduler>();

    public static async Task<SchedulerCluster> StartAsync(Action<SchedulerOptions>? options = null, Action<IKubeSchedulerBuilder>? plugins = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "kube-scheduling-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dir });
        var server = await KubeApiServer.StartAsync(new ApiServerOptions { Port = 0 }, store);
        var host = await StartSchedulerAsync(server, options, plugins);
        return new SchedulerCluster(dir, store, server, host);
    }

    /// <summary>Starts another scheduler host against this cluster's API server (the caller stops and disposes it).</summary>
    public Task<IHost> StartAnotherSchedulerAsync(Action<SchedulerOptions>? options = null) => StartSchedulerAsync(_server, options, null);

    /// <summary>Stops this cluster's own scheduler (the API server keeps running).</summary>
    public async Task StopSchedulerAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _host.StopAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task<IHost> StartSchedulerAsync(KubeApiServer server, Action<SchedulerOptions>? options, Action<IKubeSchedulerBuilder>? plugins)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (Environment.GetEnvironmentVariable("KUBE_TEST_LOG") == "1") builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton(server.CreateClient(UserInfo.Admin));
        var sb = builder.Services.AddKubeScheduler(o =>
        {
            o.Seed = 42;
            options?.Invoke(o);
        });
        plugins?.Invoke(sb);
        var host = builder.Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<KubeScheduler>().Started.WaitAsync(TimeSpan.FromSeconds(30));
        return host;
    }

    public Task<V1Node> CreateNodeAsync(V1Node node)
    {
        node.ApiVersion = "v1";
        node.Kind = "Node";
        node.Metadata.Uid = null;
        return Client.CreateAsync(node);
    }

    public Task<V1Pod> CreatePodAsync(V1Pod pod)
    {
        pod.ApiVersion = "v1";
        pod.Kind = "Pod";
        pod.Metadata.Uid = null;
        return Client.CreateAsync(pod);
    }

    public async Task<IReadOnlyList<V1Pod>> PodsAsync() => (await Client.ListAsync<V1Pod>("default")).Items;

    public static async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }

        Assert.Fail($"Timed out waiting for {what}");
    }

    public async ValueTask DisposeAsync()
    {
        await StopSchedulerAsync();
        _host.Dispose();
        await _server.DisposeAsync();
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
