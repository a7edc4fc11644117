namespace Kube.Host.Cluster;

/// <summary>Where <see cref="ParentWatch"/> moves output once the parent is gone.</summary>
internal sealed record ParentWatchOptions(string DataDir);
