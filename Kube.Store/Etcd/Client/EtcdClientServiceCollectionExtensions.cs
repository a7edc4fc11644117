using Kube.Store;
using Kube.Store.Etcd.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the client to a real etcd cluster as the store.</summary>
public static class EtcdClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IKeyValueStore"/> (and <see cref="EtcdClientStore"/>) as a singleton client to the etcd cluster
    /// configured by <paramref name="configure"/> (defaults: <see cref="EtcdClientOptions.Endpoints"/> empty, meaning <c>http://127.0.0.1:2379</c>,
    /// <see cref="EtcdClientOptions.DialTimeout"/> 5 s, <see cref="EtcdClientOptions.RequestTimeout"/> 10 s). Options are validated
    /// at host start. Nothing is contacted until the first call. The provider disposes the client. A <see cref="TimeProvider"/>
    /// registration is used when present (otherwise <see cref="TimeProvider.System"/>).
    /// </summary>
    /// <remarks>Use this <em>instead of</em> <c>AddKubeStore</c>: the first <see cref="IKeyValueStore"/> registration wins.</remarks>
    public static IServiceCollection AddKubeEtcdClientStore(this IServiceCollection services, Action<EtcdClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<EtcdClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EtcdClientOptions>, EtcdClientOptionsValidator>());
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new EtcdClientStore(sp.GetRequiredService<IOptions<EtcdClientOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton<IKeyValueStore>(sp => sp.GetRequiredService<EtcdClientStore>());
        return services;
    }
}
