namespace Kube.Store.Cluster;

/// <summary>Membership operations of a store (etcd's Cluster service). Implemented by the embedded store.</summary>
internal interface IStoreCluster
{
    /// <summary>True for a replicated member; a single-member store lists only itself.</summary>
    bool IsReplicated { get; }

    /// <summary>True for a replicated member and for a single member that serves its peer URLs (it becomes a one-voter Raft member at its first membership change).</summary>
    bool CanChangeMembership { get; }

    /// <summary>The members as this member knows them (etcd 3.4 serves member list locally).</summary>
    IReadOnlyList<ClusterMember> Members { get; }

    /// <summary>Adds a voter or a learner with these peer URLs; it must then be started with <c>--initial-cluster-state existing</c>.</summary>
    ValueTask<(ClusterMember Added, IReadOnlyList<ClusterMember> Members)> AddMemberAsync(IReadOnlyList<string> peerUrls, bool learner, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<ClusterMember>> RemoveMemberAsync(ulong id, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<ClusterMember>> PromoteMemberAsync(ulong id, CancellationToken cancellationToken);

    /// <summary>Replaces a member's peer URLs (etcd's member update).</summary>
    ValueTask<IReadOnlyList<ClusterMember>> UpdateMemberAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken);
}
