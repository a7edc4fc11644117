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
}
