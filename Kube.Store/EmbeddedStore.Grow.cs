using Kube.Store.Cluster;
using Kube.Store.Raft;
using Kube.Store.Raft.Transport;
using Microsoft.Extensions.Logging;

namespace Kube.Store;

/// <summary>
/// A single member that grows: etcd runs a lone member as a Raft cluster of one voter, so <c>etcdctl member add</c> works against
/// it. Ours runs the single-member log (<see cref="SingleMemberRaft"/>: no Raft bookkeeping on the write path) until the first
/// membership change, then hands over to <see cref="MultiRaftNode"/> with itself the only voter, and stays replicated from then on.
/// </summary>
/// <remarks>
/// <para>The hand-over: the single-member log stops taking proposals and finishes those it took; the data dir is converted
/// (<see cref="SingleMemberConversion"/>: a snapshot of the state at the last index, a Raft log starting after it, the member
/// registry); Raft opens over the same in-memory MVCC state (nothing is reloaded, watches carry on) and elects this member at once.
/// Proposals that arrive meanwhile wait and then go to Raft; reads are served throughout. The member keeps its id and cluster id.</para>
/// <para>Only a member whose peer URLs are served can grow (<c>kube-host store</c>: <c>--initial-cluster</c> defaults to
/// <c>NAME=--initial-advertise-peer-urls</c>, as etcd's); the peers reach it through the same <see cref="GrpcRaftTransport"/>.</para>
/// </remarks>
public sealed partial class EmbeddedStore
{
    private readonly SemaphoreSlim _growLock = new(1, 1);
    private GrpcRaftTransport? _growTransport;
    private volatile Task? _growing;

    /// <summary>A single member that becomes a one-voter Raft member at its first membership change.</summary>
    private bool CanGrow => _membership is null && _growTransport is not null;

    /// <summary>This member's peer URLs: its entry in <see cref="StoreOptions.InitialCluster"/> (none when it names no such entry).</summary>
    private string[] SelfPeerUrls() =>
        ClusterIds.ParseInitialCluster(_options.InitialCluster).FirstOrDefault(m => m.Name == _options.MemberName).PeerUrls?.ToArray() ?? [];

    /// <summary>Whether a data dir opens as a replicated member (after completing or discarding an interrupted conversion).</summary>
    private static bool OpensAsReplicated(string dataDir)
    {
        SingleMemberConversion.Finish(dataDir);
        return ReplicatedMemberBootstrap.IsReplicatedDataDir(dataDir);
    }

    private void AllowGrowth(GrpcRaftTransport transport)
    {
        if (SelfPeerUrls().Length == 0)
        {
            return;
        }
        _growTransport = transport;
        // A member started with --initial-cluster-state existing asks its peers for the registry; before growing this member
        // answers with itself.
        transport.MembersProvider = () => new ClusterMembership(ClusterId, ((IStoreCluster)this).Members).Encode();
    }

    /// <summary>Hands the single member over to Raft (once; later calls return at once).</summary>
    private async Task GrowAsync(CancellationToken cancellationToken)
    {
        await _growLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfStopped();
            if (!CanGrow)
            {
                return;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _growing = done.Task;
            try
            {
                await HandOverAsync(_growTransport!).ConfigureAwait(false);
            }
            finally
            {
                done.TrySetResult();
            }
        }
        finally
        {
            _growLock.Release();
        }
    }

    private async Task HandOverAsync(GrpcRaftTransport transport)
    {
        var single = (SingleMemberRaft)_raft;
        await single.DisposeAsync().ConfigureAwait(false);
        var index = single.AppliedIndex;
        var dataDir = Path.GetFullPath(_options.DataDir);
        var self = ((IStoreCluster)this).Members[0];
        var membership = new ClusterMembership(ClusterId, [self]);
        var machine = new ReplicatedStateMachine(_state, membership);
        try
        {
            await Task.Run(() => SingleMemberConversion.Convert(dataDir, index, MemberId, membership, machine.CaptureSnapshot(), _logger)).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ReplicatedMemberBootstrap.IsReplicatedDataDir(dataDir))
        {
            _logger.LogError(ex, "Converting {DataDir} for Raft failed; the member goes on as a single member", dataDir);
            _raft = await Task.Run(() => SingleMemberRaft.Open(dataDir, MemberId, _state, _options.SnapshotCount, _options.WalSegmentBytes,
                _options.ProposalQueueLength, _loggers, _metrics)).ConfigureAwait(false);
            throw;
        }
        FollowPeers(membership, MemberId, transport, _removed);
        var node = await Task.Run(() => MultiRaftNode.Open(RaftOptions(_options, MemberId, [], dataDir), machine, transport, _time, _loggers, stateAt: index))
            .ConfigureAwait(false);
        _raft = node;
        _membership = membership;
        ServePeers(transport, membership);
        await node.CampaignAsync(CancellationToken.None).ConfigureAwait(false);
        _logger.LogInformation("Single member {Member} ({Id:x}) handed over to Raft at index {Index}: a one-voter cluster {Cluster:x} that can grow",
            _options.MemberName, MemberId, index, ClusterId);
    }
}
