using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Networking;
using Kube.Networking.Allocation;
using Kube.Networking.EndpointSlices;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the networking components.</summary>
public static class KubeNetworkingServiceCollectionExtensions
{
    /// <summary>
    /// Adds Service ClusterIP/NodePort allocation (a mutating <see cref="IAdmissionPlugin"/> the API server runs, plus a
    /// hosted repair loop) and the EndpointSlice controller (a hosted service). Needs an <see cref="IKubeClient"/>;
    /// uses the registered <see cref="ISharedInformerFactory"/> (one is added when none is). Idempotent.
    /// </summary>
    public static IServiceCollection AddKubeNetworking(this IServiceCollection services, Action<NetworkingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(NetworkingOptions)))
        {
            return services;
        }

        var options = new NetworkingOptions();
        configure?.Invoke(options);
        options.Validate();
        services.AddSingleton(options);
        services.TryAddSingleton(sp => new NetworkingMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ServiceAllocationState(options, sp, sp.GetService<TimeProvider>() ?? TimeProvider.System,
            Logger<ServiceAllocationState>(sp)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAdmissionPlugin, ServiceAllocationPlugin>());
        services.TryAddSingleton<ISharedInformerFactory>(sp => new SharedInformerFactory(
            sp.GetRequiredService<IKubeClient>(), sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>()));
        services.AddSingleton<IHostedService>(sp => new ServiceAllocationController(
            sp.GetRequiredService<ServiceAllocationState>(), sp.GetRequiredService<ISharedInformerFactory>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System, Logger<ServiceAllocationController>(sp)));
        if (options.EnableEndpointSlices)
        {
            services.AddSingleton<IHostedService>(sp => new EndpointSliceController(
                options, sp.GetRequiredService<IKubeClient>(), sp.GetRequiredService<ISharedInformerFactory>(),
                sp.GetService<TimeProvider>() ?? TimeProvider.System, Logger<EndpointSliceController>(sp), sp.GetService<NetworkingMetrics>()));
        }

        if (options.KubernetesServiceEndpoint is not null)
        {
            services.AddSingleton<IHostedService>(sp => new Kube.Networking.Bootstrap.KubernetesServiceController(
                options, sp.GetRequiredService<IKubeClient>(), sp.GetService<TimeProvider>() ?? TimeProvider.System, Logger<Kube.Networking.Bootstrap.KubernetesServiceController>(sp)));
        }

        return services;
    }

    /// <summary>
    /// Adds only the EndpointSlice controller (a hosted service), for a container of its own whose <see cref="IKubeClient"/>
    /// carries the controller's identity, as upstream's kube-controller-manager runs it
    /// (<c>system:serviceaccount:kube-system:endpointslice-controller</c>, bound to <c>system:controller:endpointslice-controller</c>).
    /// Pair it with <see cref="AddKubeNetworking"/> and <see cref="NetworkingOptions.EnableEndpointSlices"/> false in the API
    /// server's container. Needs an <see cref="IKubeClient"/>; uses the registered <see cref="ISharedInformerFactory"/> (one is added when none is).
    /// </summary>
    public static IServiceCollection AddKubeEndpointSliceController(this IServiceCollection services, Action<NetworkingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new NetworkingOptions();
        configure?.Invoke(options);
        options.Validate();
        services.TryAddSingleton(sp => new NetworkingMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISharedInformerFactory>(sp => new SharedInformerFactory(
            sp.GetRequiredService<IKubeClient>(), sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>()));
        services.AddSingleton<IHostedService>(sp => new EndpointSliceController(
            options, sp.GetRequiredService<IKubeClient>(), sp.GetRequiredService<ISharedInformerFactory>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System, Logger<EndpointSliceController>(sp), sp.GetService<NetworkingMetrics>()));
        return services;
    }

    private static ILogger<T> Logger<T>(IServiceProvider sp) => sp.GetService<ILoggerFactory>()?.CreateLogger<T>() ?? NullLogger<T>.Instance;
}
