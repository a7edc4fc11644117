namespace Kube.Scheduling.Plugins.NodeResourcesFit;

/// <summary>A resource scored by NodeResourcesFit, with its weight.</summary>
public sealed record ResourceSpec(string Name, long Weight = 1);
