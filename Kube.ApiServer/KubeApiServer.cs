using System.Net;
using System.Text.Json.Nodes;
using Kube.ApiServer.Admission;
using Kube.ApiServer.Authentication;
using Kube.ApiServer.Authorization;
using Kube.ApiServer.Diagnostics;
using Kube.ApiServer.Http;
using Kube.ApiServer.InProcess;
using Kube.ApiServer.OpenApi;
using Kube.ApiServer.Registry;
using Kube.ApiServer.Storage;
using Kube.ApiServer.Tables;
using Kube.ApiServer.Watch;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;
using Kube.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.ApiServer;

/// <summary>
/// A Kubernetes API server over an <see cref="IKeyValueStore"/>: REST on Kestrel (what kubectl and KubernetesClient
/// speak) and an in-process <see cref="IKubeClient"/> (<see cref="CreateClient"/>) that runs the same pipeline.
/// </summary>
public sealed class KubeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WatchCacheManager _watchCaches;
    private readonly GenericRegistry _registry;
    private readonly CancellationTokenSource _stopping;
    private readonly Compactor? _compactor;
    private readonly ApiServerMetrics _metrics;
    private readonly NamespaceFinalizer _namespaceFinalizer;
    private readonly Metrics.ResourceMetricsApi? _resourceMetrics;
    private int _disposed;

    private KubeApiServer(WebApplication app, WatchCacheManager watchCaches, GenericRegistry registry, CancellationTokenSource stopping, Uri baseAddress,
        Compactor? compactor, ApiServerMetrics metrics, NamespaceFinalizer namespaceFinalizer, Metrics.ResourceMetricsApi? resourceMetrics)
    {
        _resourceMetrics = resourceMetrics;
        _namespaceFinalizer = namespaceFinalizer;
        _compactor = compactor;
        _metrics = metrics;
        _app = app;
        _watchCaches = watchCaches;
        _registry = registry;
        _stopping = stopping;
        BaseAddress = baseAddress;
    }

    /// <summary>The address the server listens on, e.g. http://127.0.0.1:6443/.</summary>
    public Uri BaseAddress { get; }

    /// <summary>How many lists the watch caches served instead of the store (for tests).</summary>
    internal long ListsServedFromCache => _registry.CacheListCount;

    /// <summary>How many GETs (resourceVersion=0) the watch caches served instead of the store (for tests).</summary>
    internal long GetsServedFromCache => _registry.CacheGetCount;

    /// <summary>An in-process client that runs every request as <paramref name="user"/>.</summary>
    public IKubeClient CreateClient(UserInfo user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new InProcessKubeClient(_registry, user, _resourceMetrics);
    }

    /// <summary>
    /// Starts the server on <see cref="ApiServerOptions.BindAddress"/>:<see cref="ApiServerOptions.Port"/>.
    /// From <paramref name="services"/> (optional) it takes the admission plugins (<see cref="IAdmissionPlugin"/>),
    /// <see cref="TimeProvider"/>, <see cref="ILoggerFactory"/>, <see cref="ResourceTypeRegistry"/>,
    /// <see cref="IAuthenticator"/> and <see cref="IAuthorizer"/>; each has a default when absent.
    /// </summary>
    public static async Task<KubeApiServer> StartAsync(ApiServerOptions options, IKeyValueStore store, IServiceProvider? services = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        if (!IPAddress.TryParse(options.BindAddress, out var address))
            throw new ArgumentException($"BindAddress \"{options.BindAddress}\" is not an IP address", nameof(options));
        if (options.Port is < 0 or > 65535) throw new ArgumentException($"Port {options.Port} is out of range", nameof(options));

        var loggers = services?.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var time = services?.GetService<TimeProvider>() ?? TimeProvider.System;
        var types = services?.GetService<ResourceTypeRegistry>() ?? ResourceTypeRegistry.CreateDefault();
        var plugins = services?.GetService<IEnumerable<IAdmissionPlugin>>() ?? [];
        var security = Security.SecuritySetup.Create(options.Security, services?.GetService<IAuthenticator>(), services?.GetService<IAuthorizer>(), time);
        var authenticator = security.Authenticator;
        var authorizer = security.Authorizer;

        var stopping = new CancellationTokenSource();
        var metrics = new ApiServerMetrics(services?.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        var storage = new ObjectStorage(Encryption.EncryptingKeyValueStore.Wrap(store, options.Security?.EncryptionConfiguration));
        var watchCaches = new WatchCacheManager(storage, options, loggers);
        var customColumns = new CustomColumns();
        var customSchemas = new Validation.CustomSchemas();
        var registry = new GenericRegistry(storage, watchCaches, new AdmissionChain(plugins), authorizer, types, time, options,
            loggers.CreateLogger<GenericRegistry>(), customColumns, customSchemas, stopping.Token);
        foreach (var p in plugins.OfType<Admission.IWantsLoopbackClient>()) p.SetLoopbackClient(new InProcessKubeClient(registry, UserInfo.Admin));
        var lister = new AdmissionLister(registry);
        foreach (var p in plugins.OfType<IUsesAdmissionLister>()) p.SetLister(lister);
        customSchemas.Loopback = new InProcessKubeClient(registry, UserInfo.Admin);
        await CreateInitialNamespacesAsync(registry, options, cancellationToken).ConfigureAwait(false);
        await security.AttachAsync(new InProcessKubeClient(registry, UserInfo.Admin), cancellationToken).ConfigureAwait(false);
        await registry.LoadCustomResourcesAsync(cancellationToken).ConfigureAwait(false);
        var namespaceFinalizer = new NamespaceFinalizer(registry, time, loggers.CreateLogger<NamespaceFinalizer>(), options.NamespaceFinalizeRetryInterval);
        registry.NamespaceTerminating = namespaceFinalizer.Enqueue;
        await namespaceFinalizer.ResumeAsync(cancellationToken).ConfigureAwait(false);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodySize;
            // No minimum data rates (upstream's Go server has none): over HTTP/2 Kestrel aborts the whole connection when
            // one is missed, so a client that reads its watches slowly (a busy machine) lost every request multiplexed on
            // that connection. A slow watcher is ended by its own bounded buffer instead (Watcher).
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.MinResponseDataRate = null;
            k.Listen(address, options.Port, security.ConfigureListen);
        });
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions());
        if (options.Security is { AuditPolicy: { } auditPolicy, AuditLogPath: { } auditPath })
        {
            var audit = new Security.AuditLog(auditPolicy, auditPath, authenticator, time,
                options.Security.AuditLogMaxSize, options.Security.AuditLogMaxBackup, options.Security.AuditLogMaxAge);
            app.Use(audit.InvokeAsync);
            app.Lifetime.ApplicationStopped.Register(audit.Dispose);
        }
        string addressText = $"{options.BindAddress}:{options.Port}";
        Metrics.ResourceMetricsApi? resourceMetrics = null;
        if (options.ServeResourceMetrics)
        {
            if (types.FindByResource(Metrics.ResourceMetricsApi.Group, Metrics.ResourceMetricsApi.Version, "nodes") is null) types.Register(Metrics.ResourceMetricsApi.NodeMetrics);
            if (types.FindByResource(Metrics.ResourceMetricsApi.Group, Metrics.ResourceMetricsApi.Version, "pods") is null) types.Register(Metrics.ResourceMetricsApi.PodMetrics);
            var scraper = new Metrics.SummaryScraper(Proxy.KubeletClient.For(options.Security), time, options.KubeletStatsTimeout, options.ResourceMetricsCacheDuration,
                loggers.CreateLogger<Metrics.SummaryScraper>());
            resourceMetrics = new Metrics.ResourceMetricsApi(registry, scraper, time);
        }
        var handler = new ApiHttpHandler(registry, authenticator, authorizer, new TableConvertor(time, customColumns), new OpenApiCache(types, customSchemas), metrics, time, options,
            () => addressText, resourceMetrics, loggers.CreateLogger<ApiHttpHandler>());
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? $"http://{options.BindAddress}:{options.Port}";
        var baseAddress = new Uri(bound.EndsWith('/') ? bound : bound + "/");
        addressText = $"{baseAddress.Host}:{baseAddress.Port}";
        loggers.CreateLogger<KubeApiServer>().LogInformation("API server listening on {Address}", baseAddress);
        var compactor = options.CompactionInterval > TimeSpan.Zero
            ? new Compactor(store, options.CompactionInterval, time, loggers.CreateLogger<Compactor>())
            : null;
        return new KubeApiServer(app, watchCaches, registry, stopping, baseAddress, compactor, metrics, namespaceFinalizer, resourceMetrics);
    }

    private static async Task CreateInitialNamespacesAsync(GenericRegistry registry, ApiServerOptions options, CancellationToken ct)
    {
        var nsType = registry.Types.FindByResource("", "v1", "namespaces");
        if (nsType is null) return;
        foreach (var ns in options.InitialNamespaces)
        {
            try
            {
                // as upstream's system namespaces controller: only a missing namespace is created (so admission sees no write on a restart)
                try
                {
                    await registry.GetAsync(new RequestScope(nsType, null, ns, null, UserInfo.Admin), ct).ConfigureAwait(false);
                    continue;
                }
                catch (NotFoundException)
                {
                }
                var body = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } };
                await registry.CreateAsync(new RequestScope(nsType, null, null, null, UserInfo.Admin), body, new WriteOptions(), ct).ConfigureAwait(false);
            }
            catch (AlreadyExistsException)
            {
            }
        }
    }

    /// <summary>Ends every watch, stops listening and releases the watch caches. The store is the caller's.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_compactor is not null) await _compactor.DisposeAsync().ConfigureAwait(false);
        await _namespaceFinalizer.DisposeAsync().ConfigureAwait(false);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        await _watchCaches.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
        _stopping.Dispose();
    }
}
