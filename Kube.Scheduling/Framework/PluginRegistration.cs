namespace Kube.Scheduling.Framework;

/// <summary>
/// A plugin in the registry: its name, its type (created per profile from DI), its default score weight, and the type
/// of its arguments in KubeSchedulerConfiguration's <c>pluginConfig</c> (null: it takes none).
/// </summary>
public sealed record PluginRegistration(string Name, Type PluginType, int Weight = 1, Type? ArgsType = null);
