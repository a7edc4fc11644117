using Kube.Scheduling.Configuration;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.Scheduling.Internal;

internal sealed class KubeSchedulerBuilder(IServiceCollection services) : IKubeSchedulerBuilder
{
    public IServiceCollection Services { get; } = services;

    public IKubeSchedulerBuilder AddPlugin<T>(string name, int weight = 1)
        where T : class, IPlugin => Add(name, typeof(T), weight, null);

    public IKubeSchedulerBuilder AddPlugin<T, TArgs>(string name, int weight = 1)
        where T : class, IPlugin
        where TArgs : class => Add(name, typeof(T), weight, typeof(TArgs));

    public IKubeSchedulerBuilder UseConfiguration(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return Configure(() => yaml, "KubeSchedulerConfiguration");
    }

    public IKubeSchedulerBuilder UseConfigurationFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Configure(() => File.ReadAllText(path), $"KubeSchedulerConfiguration file \"{path}\"");
    }

    private KubeSchedulerBuilder Configure(Func<string> read, string what)
    {
        Services.AddOptions<SchedulerOptions>().Configure<IEnumerable<PluginRegistration>>((o, registry) =>
        {
            string yaml;
            try
            {
                yaml = read();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                o.ConfigurationErrors.Add($"{what}: {ex.Message}");
                return;
            }

            o.ConfigurationErrors.AddRange(KubeSchedulerConfiguration.Apply(o, yaml, registry.ToList()));
        });
        return this;
    }

    private KubeSchedulerBuilder Add(string name, Type type, int weight, Type? argsType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        var existing = Services.FirstOrDefault(d => d.ServiceType == typeof(PluginRegistration) && d.ImplementationInstance is PluginRegistration r && r.Name == name);
        var registration = new PluginRegistration(name, type, weight, argsType);
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
