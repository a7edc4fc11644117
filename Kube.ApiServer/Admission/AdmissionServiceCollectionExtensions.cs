using Kube.ApiServer.Admission;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the built-in admission plugins.</summary>
public static class AdmissionServiceCollectionExtensions
{
    /// <summary>
    /// Adds the built-in admission plugins in upstream's order (mutating: LimitRanger, ServiceAccount, Priority,
    /// DefaultTolerationSeconds, DefaultStorageClass, MutatingAdmissionWebhook; validating: NamespaceLifecycle, NodeRestriction, Priority, PodSecurity,
    /// ValidatingAdmissionWebhook, ResourceQuota last).
    /// They read through the registered <see cref="IKubeClient"/> (the API server's in-process administrator client).
    /// Call after <c>AddKubeApiServer</c> and before other plugins that should run after them.
    /// </summary>
    public static IServiceCollection AddKubeBuiltInAdmission(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IAdmissionPlugin>(sp => new NamespaceLifecycleAdmission(sp.GetRequiredService<IKubeClient>()));
        services.AddSingleton<IAdmissionPlugin>(new NodeRestrictionAdmission());
        services.AddSingleton<IAdmissionPlugin>(sp => new LimitRangerAdmission(sp.GetRequiredService<IKubeClient>()));
        services.AddSingleton<IAdmissionPlugin>(sp => new ServiceAccountAdmission(sp.GetRequiredService<IKubeClient>(), sp.GetService<TimeProvider>()));
        services.AddSingleton<IAdmissionPlugin>(sp => new PriorityAdmission(sp.GetRequiredService<IKubeClient>(), mutating: true));
        services.AddSingleton<IAdmissionPlugin>(new DefaultTolerationSecondsAdmission());
        services.AddSingleton<IAdmissionPlugin>(sp => new PriorityAdmission(sp.GetRequiredService<IKubeClient>(), mutating: false));
        services.AddSingleton<IAdmissionPlugin>(sp => new PodSecurityAdmission(sp.GetRequiredService<IKubeClient>()));
        services.AddSingleton<IAdmissionPlugin>(sp => new DefaultStorageClassAdmission(sp.GetRequiredService<IKubeClient>()));
        services.AddSingleton<IAdmissionPlugin>(new StorageObjectInUseProtectionAdmission());
        services.AddSingleton<IAdmissionPlugin>(sp => new WebhookAdmission(sp.GetRequiredService<IKubeClient>(), mutating: true));
        services.AddSingleton<IAdmissionPlugin>(sp => new WebhookAdmission(sp.GetRequiredService<IKubeClient>(), mutating: false));
        services.AddSingleton<IAdmissionPlugin>(sp => new ResourceQuotaAdmission(sp.GetRequiredService<IKubeClient>(), sp.GetService<TimeProvider>()));
        return services;
    }
}
