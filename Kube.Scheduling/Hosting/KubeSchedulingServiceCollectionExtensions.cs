using Kube.Scheduling;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Hosting;
using Kube.Scheduling.Internal;
using Kube.Scheduling.Plugins.DefaultBinder;
using Kube.Scheduling.Plugins.DefaultPreemption;
using Kube.Scheduling.Plugins.ImageLocality;
using Kube.Scheduling.Plugins.InterPodAffinity;
using Kube.Scheduling.Plugins.NodeAffinity;
using Kube.Scheduling.Plugins.NodePorts;
using Kube.Scheduling.Plugins.NodeResourcesBalancedAllocation;
using Kube.Scheduling.Plugins.PodTopologySpread;
using Kube.Scheduling.Plugins.PrioritySort;
using Kube.Scheduling.Plugins.SchedulingGates;
using Kube.Scheduling.Plugins.NodeName;
using Kube.Scheduling.Plugins.NodeResourcesFit;
using Kube.Scheduling.Plugins.NodeUnschedulable;
using Kube.Scheduling.Plugins.TaintToleration;
using Kube.Scheduling.Plugins.VolumeBinding;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the scheduler.</summary>
public static class KubeSchedulingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <see cref="KubeScheduler"/> hosted service and registers the default plugins through the same registry
    /// as <see cref="IKubeSchedulerBuilder.AddPlugin{T}"/>, with upstream's weights: PrioritySort, SchedulingGates, NodeUnschedulable, NodeName,
    /// TaintToleration (3), NodeAffinity (2), NodePorts, NodeResourcesFit (1), VolumeBinding, PodTopologySpread (2), InterPodAffinity (2), NodeResourcesBalancedAllocation (1),
    /// ImageLocality (1), DefaultPreemption and DefaultBinder. Also registers Kube.Core's infrastructure (<c>AddKubeCore()</c>);
    /// an <c>IKubeClient</c> must be registered separately.
    /// </summary>
    public static IKubeSchedulerBuilder AddKubeScheduler(this IServiceCollection services, Action<SchedulerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SchedulerOptions>();
        if (configure is not null) options.Configure(configure);
        options
            .Validate(o => o.Parallelism >= 1, "SchedulerOptions.Parallelism must be at least 1.")
            .Validate(o => o.PercentageOfNodesToScore is null or (>= 1 and <= 100), "SchedulerOptions.PercentageOfNodesToScore must be between 1 and 100.")
            .Validate(o => o.PodInitialBackoff > TimeSpan.Zero && o.PodInitialBackoff <= o.PodMaxBackoff,
                "SchedulerOptions: PodInitialBackoff must be positive and at most PodMaxBackoff.")
            .Validate(o => o.PodMaxInUnschedulablePodsDuration > TimeSpan.Zero, "SchedulerOptions.PodMaxInUnschedulablePodsDuration must be positive.")
            .Validate(o => o.DurationToExpireAssumedPod >= TimeSpan.Zero, "SchedulerOptions.DurationToExpireAssumedPod must not be negative (0 means never).")
            .Validate(o => o.CleanAssumedPeriod > TimeSpan.Zero, "SchedulerOptions.CleanAssumedPeriod must be positive.")
            .Validate(o => o.Profiles.Select(p => p.SchedulerName).Distinct(StringComparer.Ordinal).Count() == o.Profiles.Count
                && o.Profiles.All(p => !string.IsNullOrWhiteSpace(p.SchedulerName)), "SchedulerOptions.Profiles: scheduler names must be set and unique.")
            .Validate(o => o.Profiles.All(p => p.PercentageOfNodesToScore is null or (>= 1 and <= 100)), "SchedulerOptions.Profiles: PercentageOfNodesToScore must be between 1 and 100.")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SchedulerOptions>, ConfigurationErrorsValidator>());
        services.AddKubeCore();

        var builder = new KubeSchedulerBuilder(services);
        if (!services.Any(d => d.ServiceType == typeof(KubeScheduler)))
        {
            services.AddSingleton<KubeScheduler>();
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<KubeScheduler>());
            builder
                .AddPlugin<PrioritySortPlugin>(PrioritySortPlugin.PluginName)
                .AddPlugin<SchedulingGatesPlugin>(SchedulingGatesPlugin.PluginName)
                .AddPlugin<NodeUnschedulablePlugin>(NodeUnschedulablePlugin.PluginName)
                .AddPlugin<NodeNamePlugin>(NodeNamePlugin.PluginName)
                .AddPlugin<TaintTolerationPlugin>(TaintTolerationPlugin.PluginName, weight: 3)
                .AddPlugin<NodeAffinityPlugin>(NodeAffinityPlugin.PluginName, weight: 2)
                .AddPlugin<NodePortsPlugin>(NodePortsPlugin.PluginName)
                .AddPlugin<NodeResourcesFitPlugin, NodeResourcesFitArgs>(NodeResourcesFitPlugin.PluginName, weight: 1)
                .AddPlugin<VolumeBindingPlugin, VolumeBindingArgs>(VolumeBindingPlugin.PluginName)
                .AddPlugin<PodTopologySpreadPlugin, PodTopologySpreadArgs>(PodTopologySpreadPlugin.PluginName, weight: 2)
                .AddPlugin<InterPodAffinityPlugin>(InterPodAffinityPlugin.PluginName, weight: 2)
                .AddPlugin<NodeResourcesBalancedAllocationPlugin>(NodeResourcesBalancedAllocationPlugin.PluginName, weight: 1)
                .AddPlugin<ImageLocalityPlugin>(ImageLocalityPlugin.PluginName, weight: 1)
                .AddPlugin<DefaultPreemptionPlugin, DefaultPreemptionArgs>(DefaultPreemptionPlugin.PluginName)
                .AddPlugin<DefaultBinderPlugin>(DefaultBinderPlugin.PluginName);
        }

        return builder;
    }

    /// <summary>Reports the errors found reading a KubeSchedulerConfiguration, so that the host fails at start.</summary>
    private sealed class ConfigurationErrorsValidator : IValidateOptions<SchedulerOptions>
    {
        public ValidateOptionsResult Validate(string? name, SchedulerOptions options) =>
            options.ConfigurationErrors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.ConfigurationErrors);
    }
}
