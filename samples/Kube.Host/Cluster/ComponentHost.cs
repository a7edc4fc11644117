using System.Diagnostics.Metrics;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Host.Cluster;

/// <summary>
/// One built-in component (the scheduler, the controller manager, a node agent) in its own service container whose
/// only <see cref="IKubeClient"/> is the API server's in-process client carrying the component's identity, so RBAC and
/// the Node authorizer apply to it as to a separate process, with its own informers, as upstream's components have.
/// It shares the process's logger factory, meters and clock. Started and stopped by the all-in-one host, in
/// registration order (stopped in reverse, before the API server); if the component stops on its own (a background
/// service failed), the whole host stops.
/// </summary>
internal sealed class ComponentHost(
    string name,
    UserInfo identity,
    Action<IServiceCollection> configure,
    IServiceProvider root,
    Func<IKubeClient, CancellationToken, Task>? beforeStart = null) : IHostedService, IAsyncDisposable
{
    private IHost? _host;
    private volatile bool _stopping;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (beforeStart is not null)
            await beforeStart(root.GetRequiredService<IKubeClient>(), cancellationToken).ConfigureAwait(false);
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        var s = builder.Services;
        s.AddLogging();
        s.AddSingleton(root.GetRequiredService<ILoggerFactory>());
        s.AddSingleton(root.GetRequiredService<TimeProvider>());
        if (root.GetService<IMeterFactory>() is { } meters) s.AddSingleton(meters);
        if (root.GetService<ResourceTypeRegistry>() is { } types) s.AddSingleton(types);
        s.AddSingleton<IHostLifetime, NestedLifetime>();
        s.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(40));
        s.AddSingleton(Kube.ApiServer.Security.ComponentIdentities.ClientFor(root, identity));
        configure(s);
        _host = builder.Build();
        var rootLifetime = root.GetRequiredService<IHostApplicationLifetime>();
        var logger = root.GetRequiredService<ILoggerFactory>().CreateLogger("kube-host");
        _host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() =>
        {
            if (_stopping) return;
            logger.LogError("Component {Component} stopped on its own; stopping kube-host", name);
            rootLifetime.StopApplication();
        });
        logger.LogInformation("Starting {Component} as {User}", name, identity.Name);
        await _host.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        if (_host is not null) await _host.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        if (_host is IAsyncDisposable d) await d.DisposeAsync().ConfigureAwait(false);
        else _host?.Dispose();
        _host = null;
    }

    /// <summary>The root host owns signals and the console; a component's host neither waits for nor handles them.</summary>
    private sealed class NestedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
