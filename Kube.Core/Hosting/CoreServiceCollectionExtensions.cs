using k8s;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Core.Hosting;
using Kube.Core.Informers;
using Kube.Core.Resources;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kube.Core's infrastructure.</summary>
public static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers, each only if not registered yet: <see cref="TimeProvider.System"/>,
    /// <see cref="ResourceTypeRegistry.CreateDefault"/>, <see cref="InformerOptions"/> (the given ones, or defaults),
    /// an <see cref="ISharedInformerFactory"/> over the registered <see cref="IKubeClient"/>, and a hosted service that
    /// starts the factory with the host and stops its informers on shutdown. An <see cref="IKubeClient"/> must be
    /// registered separately (<see cref="AddKubeHttpClient"/>, or the in-process client of Kube.ApiServer).
    /// </summary>
    public static IServiceCollection AddKubeCore(this IServiceCollection services, InformerOptions? informerOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => ResourceTypeRegistry.CreateDefault());
        services.TryAddSingleton(informerOptions ?? new InformerOptions());
        services.TryAddSingleton<ISharedInformerFactory>(sp => new SharedInformerFactory(
            sp.GetRequiredService<IKubeClient>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<InformerOptions>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SharedInformerFactoryHostedService>());
        return services;
    }

    /// <summary>
    /// Registers <see cref="HttpKubeClient"/> as the <see cref="IKubeClient"/> (if none is registered), built from the
    /// configuration <paramref name="configFactory"/> returns — by default
    /// <see cref="KubernetesClientConfiguration.BuildDefaultConfig"/> (KUBECONFIG, ~/.kube/config, or in-cluster).
    /// </summary>
    public static IServiceCollection AddKubeHttpClient(this IServiceCollection services,
        Func<IServiceProvider, KubernetesClientConfiguration>? configFactory = null, HttpKubeClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(_ => ResourceTypeRegistry.CreateDefault());
        services.TryAddSingleton<IKubeClient>(sp => HttpKubeClient.FromConfig(
            configFactory?.Invoke(sp) ?? KubernetesClientConfiguration.BuildDefaultConfig(),
            sp.GetRequiredService<ResourceTypeRegistry>(),
            options));
        return services;
    }

    /// <summary>
    /// Registers an <see cref="EventRecorder"/> as the <see cref="IEventRecorder"/> (if none is registered), writing
    /// through the registered <see cref="IKubeClient"/> with the given options.
    /// </summary>
    public static IServiceCollection AddKubeEventRecorder(this IServiceCollection services, EventRecorderOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.ReportingController);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IEventRecorder>(sp => new EventRecorder(
            sp.GetRequiredService<IKubeClient>(),
            options,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<EventRecorder>>()));
        return services;
    }
}
