namespace Kube.Store.Cluster;

/// <summary>One member of a replicated store, as etcd's <c>member list</c> shows it.</summary>
/// <param name="Id">The member id (etcd: the first 8 bytes of SHA-1 over the sorted peer URLs and the cluster token).</param>
/// <param name="Name">The member's <c>--name</c>; empty until the member has started and published it.</param>
/// <param name="PeerUrls">Where members reach it (<c>--initial-advertise-peer-urls</c>).</param>
/// <param name="ClientUrls">Where clients reach it (<c>--advertise-client-urls</c>); empty until the member has started.</param>
/// <param name="IsLearner">A non-voting member that receives the log (etcd's learner).</param>
public sealed record ClusterMember(ulong Id, string Name, IReadOnlyList<string> PeerUrls, IReadOnlyList<string> ClientUrls, bool IsLearner);
