using Kube.Scheduling.Framework;
using Kube.Scheduling.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.Scheduling.Internal;

internal sealed class KubeSchedulerBuilder(IServiceCollection services) : IKubeSchedulerBuilder
{
    public IServiceCollection Services { get; } = services;

    public IKubeSchedulerBuilder AddPlugin<T>(string name, int weight = 1)
        where T : class, IPlugin
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        var existing = Services.FirstOrDefault(d => d.ServiceType == typeof(PluginRegistration) && d.ImplementationInstance is PluginRegistration r && r.Name == name);
        var registration = new PluginRegistration(name, typeof(T), weight);
        if (existing is not null)
        {
            var i = Services.IndexOf(existing);
            Services[i] = ServiceDescriptor.Singleton(registration);
        }
        else
        {
            Services.AddSingleton(registration);
        }

        return this;
    }
}
