namespace Kube.Scheduling.Framework;

/// <summary>A node's score from one plugin, between <see cref="IScorePlugin.MinNodeScore"/> and <see cref="IScorePlugin.MaxNodeScore"/> after normalization.</summary>
/// <remarks>A value type: a cycle scores hundreds of nodes per plugin, and normalizing rewrites each score.</remarks>
public readonly record struct NodeScore(string Name, long Score);
