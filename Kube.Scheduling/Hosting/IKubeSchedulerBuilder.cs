using Kube.Scheduling.Framework;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.Scheduling.Hosting;

/// <summary>Adds plugins to the scheduler's registry; returned by <c>services.AddKubeScheduler()</c>.</summary>
public interface IKubeSchedulerBuilder
{
    IServiceCollection Services { get; }

    /// <summary>
    /// Registers a plugin under <paramref name="name"/> with a default score <paramref name="weight"/>. The plugin is created
    /// per profile through DI (its constructor may take any registered service). Profiles without an explicit plugin
    /// list enable every registered plugin, in registration order. Registering a name again replaces the plugin.
    /// </summary>
    IKubeSchedulerBuilder AddPlugin<T>(string name, int weight = 1)
        where T : class, IPlugin;

    /// <summary>
    /// Registers a plugin that takes arguments of type <typeparamref name="TArgs"/>: KubeSchedulerConfiguration's
    /// <c>pluginConfig[].args</c> for it are read as JSON into <typeparamref name="TArgs"/> and passed to its constructor.
    /// </summary>
    IKubeSchedulerBuilder AddPlugin<T, TArgs>(string name, int weight = 1)
        where T : class, IPlugin
        where TArgs : class;

    /// <summary>
    /// Configures the scheduler from a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) YAML document through
    /// the Options pattern; errors (naming the field) fail the host at start.
    /// </summary>
    IKubeSchedulerBuilder UseConfiguration(string yaml);

    /// <summary>As <see cref="UseConfiguration"/>, reading the YAML from a file when the options are built.</summary>
    IKubeSchedulerBuilder UseConfigurationFile(string path);
}
