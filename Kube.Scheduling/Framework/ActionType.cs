namespace Kube.Scheduling.Framework;

/// <summary>What happened to an object (upstream's framework.ActionType); flags, so a registration can name several.</summary>
[Flags]
public enum ActionType
{
    None = 0,
    Add = 1,
    Delete = 2,
    UpdateNodeAllocatable = 4,
    UpdateNodeLabel = 8,
    UpdateNodeTaint = 16,
    UpdateNodeCondition = 32,
    UpdatePodLabel = 64,
    /// <summary>A pod's requests went down, or it terminated.</summary>
    UpdatePodScaleDown = 128,
    /// <summary>Any other update.</summary>
    UpdateOther = 256,
    /// <summary>A namespace's labels changed (what pod affinity terms' namespaceSelectors match).</summary>
    UpdateNamespaceLabel = 512,
    Update = UpdateNodeAllocatable | UpdateNodeLabel | UpdateNodeTaint | UpdateNodeCondition | UpdatePodLabel | UpdatePodScaleDown | UpdateOther | UpdateNamespaceLabel,
    All = Add | Delete | Update,
}
