using Kube.Store;
using Kube.Store.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the embedded store.</summary>
public static class StoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IKeyValueStore"/> as a singleton <see cref="EmbeddedStore"/> configured by <paramref name="configure"/>.
    /// The store opens at host start (a hosted service) or on its first use, whichever is first, and is disposed when the
    /// host stops. Options are validated at start. A <see cref="TimeProvider"/> registration is used when present
    /// (otherwise <see cref="TimeProvider.System"/>).
    /// </summary>
    public static IServiceCollection AddKubeStore(this IServiceCollection services, Action<StoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<StoreOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StoreOptions>, StoreOptionsValidator>());
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Kube.Store.Raft.Transport.GrpcRaftTransport>();
        services.TryAddSingleton<KubeStoreService>();
        services.TryAddSingleton<IKeyValueStore>(sp => sp.GetRequiredService<KubeStoreService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KubeStoreService>(sp => sp.GetRequiredService<KubeStoreService>()));
        return services;
    }

    /// <summary>
    /// Registers the gRPC services of etcd's v3 API over the registered <see cref="IKeyValueStore"/>; map them with
    /// <see cref="Kube.Store.Etcd.EtcdGrpcEndpoints.MapEtcdGrpc"/>. The largest accepted gRPC message is
    /// <see cref="StoreOptions.MaxRequestBytes"/> + 512 KiB, as etcd, so a request just over the limit gets etcd's
    /// "request is too large" error.
    /// </summary>
    public static IServiceCollection AddEtcdGrpc(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddGrpc();
        services.AddOptions<StoreOptions>();
        services.AddOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>()
            .Configure<IOptions<StoreOptions>>((grpc, store) => grpc.MaxReceiveMessageSize = store.Value.MaxRequestBytes + 512 * 1024);
        return services;
    }
}
