namespace Kube.Scheduling.Framework;

/// <summary>The kinds of objects whose changes the scheduler reacts to (upstream's framework.EventResource).</summary>
public enum EventResource
{
    /// <summary>Any resource (a wildcard, for example after a failed binding).</summary>
    WildCard,
    Pod,
    Node,
    PersistentVolume,
    PersistentVolumeClaim,
    StorageClass,
    Namespace,
}
