namespace Kube.Scheduling.Framework;

/// <summary>A node's score from one plugin, between <see cref="IScorePlugin.MinNodeScore"/> and <see cref="IScorePlugin.MaxNodeScore"/> after normalization.</summary>
public sealed record NodeScore(string Name, long Score);
