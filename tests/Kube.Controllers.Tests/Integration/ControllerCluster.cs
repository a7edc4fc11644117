using k8s.Models;
using Kube.ApiServer;
using Kube.Controllers.Hosting;
using Kube.Controllers.Runtime;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;
using Kube.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.Tests.Integration;

/// <summary>
/// A real API server over a real EmbeddedStore, and a host running the controller manager against it through the
/// in-process client.
/// </summary>
internal sealed class ControllerCluster : IAsyncDisposable
{
    private readonly string _dir;
    private readonly EmbeddedStore _store;
    private readonly KubeApiServer _server;
    private readonly IHost _host;
    private bool _managerStopped;

    private ControllerCluster(string dir, EmbeddedStore store, KubeApiServer server, IHost host)
    {
        _dir = dir;
        _store = store;
        _server = server;
        _host = host;
        Client = server.CreateClient(UserInfo.Admin);
    }

    /// <summary>A client for the test's own reads and writes (the "user" and the simulated kubelet).</summary>
    public IKubeClient Client { get; }

    public Uri BaseAddress => _server.BaseAddress;

    public IServiceProvider Services => _host.Services;

    /// <param name="controllers">The controllers to run; default the built-in ones.</param>
    /// <param name="options">Options of the manager and built-in controllers.</param>
    /// <param name="time">The controllers' clock (for example a FakeTimeProvider); default the system clock. The API server keeps the system clock.</param>
    /// <param name="server">Changes to the API server's options (for example its resource metrics cache).</param>
    /// <param name="overHttp">
    /// The controllers talk to the API server over HTTP (<see cref="HttpKubeClient"/>) instead of in process; needed for
    /// APIs the in-process client does not serve, such as metrics.k8s.io.
    /// </param>
    public static async Task<ControllerCluster> StartAsync(Action<IKubeControllersBuilder>? controllers = null, Action<ControllerManagerOptions>? options = null,
        TimeProvider? time = null, Action<ApiServerOptions>? server = null, bool overHttp = false)
    {
        var dir = Path.Combine(Path.GetTempPath(), "kube-controllers-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dir });
        var serverOptions = new ApiServerOptions { Port = 0 };
        server?.Invoke(serverOptions);
        var apiServer = await KubeApiServer.StartAsync(serverOptions, store);
        var host = await StartManagerAsync(apiServer, controllers, options, time, overHttp);
        await host.Services.GetRequiredService<ControllerManager>().Started.WaitAsync(TimeSpan.FromSeconds(30));
        return new ControllerCluster(dir, store, apiServer, host);
    }

    /// <summary>Starts another controller-manager host against this cluster's API server (the caller stops and disposes it).</summary>
    public Task<IHost> StartAnotherManagerAsync(Action<IKubeControllersBuilder>? controllers = null, Action<ControllerManagerOptions>? options = null) =>
        StartManagerAsync(_server, controllers, options);

    private static async Task<IHost> StartManagerAsync(KubeApiServer server, Action<IKubeControllersBuilder>? controllers, Action<ControllerManagerOptions>? options,
        TimeProvider? time = null, bool overHttp = false)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (Environment.GetEnvironmentVariable("KUBE_TEST_LOG") == "1")
        {
            // Debugging aid: KUBE_TEST_LOG=1 dotnet test ... prints the controllers' logs.
            builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug);
        }

        if (overHttp)
        {
            builder.Services.AddSingleton<IKubeClient>(sp => new HttpKubeClient(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, server.BaseAddress,
                sp.GetRequiredService<ResourceTypeRegistry>()));
        }
        else
        {
            builder.Services.AddSingleton(server.CreateClient(UserInfo.Admin));
        }

        if (time is not null) builder.Services.AddSingleton(time);
        var kc = builder.Services.AddKubeControllers(options);
        if (controllers is null) kc.AddBuiltInControllers();
        else controllers(kc);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Stops this cluster's own controller manager (the API server keeps running).</summary>
    public async Task StopManagerAsync()
    {
        if (_managerStopped) return;
        _managerStopped = true;
        await _host.StopAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Polls <paramref name="condition"/> every 50 ms until it holds, failing after <paramref name="timeout"/> (default 20 s).</summary>
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

    /// <summary>Applies <paramref name="change"/> to the latest version of an object, retrying (at most 10 times) on conflicts with controllers' writes.</summary>
    public async Task<T> ModifyAsync<T>(string name, string? ns, Action<T> change)
        where T : class, k8s.IKubernetesObject<V1ObjectMeta>
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await Client.GetAsync<T>(name, ns);
            change(current);
            try
            {
                return await Client.UpdateAsync(current);
            }
            catch (ConflictException) when (attempt < 10)
            {
            }
        }
    }

    public async Task<IReadOnlyList<V1Pod>> PodsAsync(string selector, string ns = "default") =>
        (await Client.ListAsync<V1Pod>(ns, new ListOptions { LabelSelector = selector })).Items;

    public async Task<IReadOnlyList<V1ReplicaSet>> ReplicaSetsAsync(string selector, string ns = "default") =>
        (await Client.ListAsync<V1ReplicaSet>(ns, new ListOptions { LabelSelector = selector })).Items;

    /// <summary>Plays the kubelet for pods without a node agent: marks every live pod Running and Ready.</summary>
    public async Task<int> MarkPodsReadyAsync(string selector, string ns = "default")
    {
        var marked = 0;
        foreach (var pod in await PodsAsync(selector, ns))
        {
            if (pod.Metadata.DeletionTimestamp is not null) continue;
            if (pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true) continue;
            var now = DateTime.UtcNow;
            pod.Status ??= new V1PodStatus();
            pod.Status.Phase = "Running";
            pod.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = now }];
            try
            {
                await Client.UpdateStatusAsync(pod);
                marked++;
            }
            catch (KubeApiException ex) when (ex is ConflictException or NotFoundException)
            {
                // It changed or went away meanwhile; the next round looks again.
            }
        }

        return marked;
    }

    public async ValueTask DisposeAsync()
    {
        await StopManagerAsync();
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
