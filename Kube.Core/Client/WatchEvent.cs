using k8s;
using k8s.Models;

namespace Kube.Core.Client;

/// <summary>The kinds of watch events, as the Kubernetes watch protocol names them.</summary>
public enum WatchEventType { Added, Modified, Deleted, Bookmark, Error }

/// <summary>
/// One watch event. For <see cref="WatchEventType.Bookmark"/>, <see cref="Object"/> carries only metadata
/// (resourceVersion and annotations). For <see cref="WatchEventType.Error"/>, <see cref="Status"/> is set.
/// </summary>
public sealed record WatchEvent<T>(WatchEventType Type, T? Object, V1Status? Status = null)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The resourceVersion of the event's object (the bookmark's version for bookmarks).</summary>
    public string? ResourceVersion => Object?.Metadata?.ResourceVersion;
}
