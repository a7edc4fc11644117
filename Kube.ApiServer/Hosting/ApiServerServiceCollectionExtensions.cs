using Kube.ApiServer;
using Kube.ApiServer.Hosting;
using Kube.ApiServer.InProcess;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the API server.</summary>
public static class ApiServerServiceCollectionExtensions
{
    /// <summary>
    /// Adds a hosted <see cref="KubeApiServer"/> over the registered <c>Kube.Store.IKeyValueStore</c>, and registers
    /// <see cref="IKubeClient"/> as its in-process client with the administrator identity (it waits for the server
    /// to start on first use). Admission plugins registered as <c>Kube.Core.Admission.IAdmissionPlugin</c> run on every write.
    /// </summary>
    public static IServiceCollection AddKubeApiServer(this IServiceCollection services, Action<ApiServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<ApiServerOptions>();
        if (configure is not null) builder.Configure(configure);
        builder.Validate(o => o.Port is >= 0 and <= 65535, "ApiServerOptions.Port must be between 0 and 65535.")
            .Validate(o => System.Net.IPAddress.TryParse(o.BindAddress, out _), "ApiServerOptions.BindAddress must be an IP address.")
            .Validate(o => o.WatcherBufferSize > 0 && o.WatchCacheCapacity > 0, "ApiServerOptions buffer sizes must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiServerHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<ApiServerHostedService>());
        services.TryAddSingleton<IKubeClient>(sp =>
        {
            var host = sp.GetRequiredService<ApiServerHostedService>();
            return new DeferredKubeClient(host.AdminClientAsync);
        });
        return services;
    }
}
