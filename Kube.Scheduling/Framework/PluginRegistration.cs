namespace Kube.Scheduling.Framework;

/// <summary>A plugin in the registry: its name, its type (created per profile from DI), and its default score weight.</summary>
public sealed record PluginRegistration(string Name, Type PluginType, int Weight = 1);
