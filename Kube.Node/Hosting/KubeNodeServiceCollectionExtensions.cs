using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Node.Agent;
using Kube.Node.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers node agents.</summary>
public static class KubeNodeServiceCollectionExtensions
{
    /// <summary>
    /// Adds one node agent as a hosted service. Call it once per node, with different
    /// <see cref="NodeAgentOptions.NodeName"/>s, to run N nodes in one host; agent i (1-based, in registration order)
    /// gets the pod CIDR 127.1.i.0/24 unless <see cref="NodeAgentOptions.PodCidr"/> is set. The agent is also
    /// available as a keyed singleton <see cref="NodeAgent"/> under its node name.
    /// Needs an <see cref="IKubeClient"/>; uses the registered <see cref="ISharedInformerFactory"/> (one is added when none is).
    /// </summary>
    public static IServiceCollection AddKubeNodeAgent(this IServiceCollection services, Action<NodeAgentOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        var existing = services.Where(d => d.ServiceType == typeof(NodeAgentRegistration) && d.ImplementationInstance is NodeAgentRegistration)
            .Select(d => ((NodeAgentRegistration)d.ImplementationInstance!).Options).ToList();
        var options = new NodeAgentOptions();
        configure(options);
        options.NodeIndex ??= existing.Count + 1;
        options.Validate();
        if (existing.Any(o => o.NodeName == options.NodeName))
        {
            throw new ArgumentException($"A node agent named \"{options.NodeName}\" is already registered");
        }

        if (existing.FirstOrDefault(o => o.EffectivePodCidr == options.EffectivePodCidr) is { } clash)
        {
            throw new ArgumentException($"Node agents \"{clash.NodeName}\" and \"{options.NodeName}\" would share the pod CIDR {options.EffectivePodCidr}; give each its own PodCidr");
        }

        if (existing.FirstOrDefault(o => Path.GetFullPath(o.EffectiveDataDir) == Path.GetFullPath(options.EffectiveDataDir)) is { } sameDir)
        {
            throw new ArgumentException($"Node agents \"{sameDir.NodeName}\" and \"{options.NodeName}\" would share the data directory {options.EffectiveDataDir}");
        }

        services.AddSingleton(new NodeAgentRegistration(options));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IContainerRuntimeProvider, ProcessRuntimeProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IContainerRuntimeProvider, SimulatedRuntimeProvider>());
        services.TryAddSingleton<ISharedInformerFactory>(sp => new SharedInformerFactory(
            sp.GetRequiredService<IKubeClient>(), sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>()));
        services.AddKeyedSingleton(options.NodeName, (sp, _) => CreateAgent(sp, options));
        // Not AddHostedService: it de-duplicates by type, and every agent must run.
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredKeyedService<NodeAgent>(options.NodeName));
        return services;
    }

    private static NodeAgent CreateAgent(IServiceProvider sp, NodeAgentOptions options)
    {
        var providers = sp.GetServices<IContainerRuntimeProvider>().ToList();
        var provider = providers.FirstOrDefault(p => string.Equals(p.Name, options.Runtime, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException(
                $"Node agent {options.NodeName}: no container runtime named \"{options.Runtime}\" is registered (available: {string.Join(", ", providers.Select(p => p.Name))})");
        return new NodeAgent(
            options,
            sp.GetRequiredService<IKubeClient>(),
            sp.GetRequiredService<ISharedInformerFactory>(),
            provider.Create(options, sp),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetService<Kube.Core.Events.IEventRecorder>(),
            sp.GetService<IServiceAccountTokenRequester>());
    }
}
