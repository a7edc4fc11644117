using Kube.Store.Cluster;
using Kube.Store.Mvcc;
using Kube.Store.Raft;
using Kube.Store.Raft.Core;
using Kube.Store.Raft.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Store;

/// <summary>The replicated member: Raft over a peer transport, the member registry, leader-only lease expiry.</summary>
public sealed partial class EmbeddedStore : IStoreCluster
{
    private volatile ClusterMembership? _membership;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task? _publishing;
    private bool _ledLeases;
    private GrpcRaftTransport? _transport;
    private TaskCompletionSource _removed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long a peer may take to answer the connectivity probe of the membership checks.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Completes when this member has applied its own removal (or restarted after it): it must stop serving, as etcd's member does
    /// ("the member has been permanently removed from the cluster"). Never completes for a single-member store.
    /// </summary>
    internal Task RemovedFromCluster => _removed.Task;

    /// <summary>
    /// Opens a replicated member (<see cref="StoreOptions.IsReplicated"/>): works out its identity (data dir, else
    /// <see cref="StoreOptions.InitialCluster"/> and the token, else a running member's registry when joining), starts Raft over
    /// <paramref name="transport"/> (whose <see cref="RaftGrpcService"/> the host serves on the peer URL) and publishes its name and
    /// client URLs through the log.
    /// </summary>
    internal static async Task<EmbeddedStore> OpenReplicatedAsync(StoreOptions options, GrpcRaftTransport transport, TimeProvider? time = null,
        ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transport);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid store options: " + string.Join(" ", errors), nameof(options));
        }
        time ??= TimeProvider.System;
        loggers ??= NullLoggerFactory.Instance;
        var logger = loggers.CreateLogger<EmbeddedStore>();
        var dataDir = Path.GetFullPath(options.DataDir);
        Directory.CreateDirectory(dataDir);
        var identity = await ReplicatedMemberBootstrap.ResolveAsync(options, dataDir, transport, logger, cancellationToken).ConfigureAwait(false);
        var membership = identity.Membership;
        var state = new MvccState(time, membership.ClusterId, identity.MemberId, options.WatchBufferSize);
        var machine = new ReplicatedStateMachine(state, membership);
        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        FollowPeers(membership, identity.MemberId, transport, removed);
        var metrics = new StoreMetrics(state, options.MemberName);
        IRaftNode raft;
        try
        {
            raft = await Task.Run(() => MultiRaftNode.Open(RaftOptions(options, identity.MemberId, identity.InitialVoters, dataDir), machine, transport, time, loggers),
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            metrics.Dispose();
            throw;
        }
        var store = new EmbeddedStore(options, time, loggers, state, raft, metrics, membership) { _removed = removed };
        store.ServePeers(transport, membership);
        logger.LogInformation("Store {Member} ({Id:x}) open in {DataDir} at revision {Revision}; cluster {Cluster:x} with {Count} members",
            options.MemberName, identity.MemberId, dataDir, state.Revision, membership.ClusterId, membership.Members.Count);
        return store;
    }

    private static MultiRaftOptions RaftOptions(StoreOptions options, ulong memberId, IReadOnlyList<ulong> initialVoters, string dataDir) => new()
    {
        MemberId = memberId,
        InitialMembers = initialVoters,
        DataDir = dataDir,
        TickInterval = options.RaftTickInterval,
        SnapshotCount = options.SnapshotCount,
        CatchUpEntries = options.SnapshotCatchUpEntries,
        ProposalQueueLength = options.ProposalQueueLength,
    };

    /// <summary>Keeps <paramref name="transport"/>'s peers in step with <paramref name="membership"/>; completes <paramref name="removed"/> when it no longer lists this member.</summary>
    private static void FollowPeers(ClusterMembership membership, ulong self, GrpcRaftTransport transport, TaskCompletionSource removed)
    {
        var peers = new Dictionary<ulong, string>();
        void SyncPeers(ClusterMembership m)
        {
            lock (peers)
            {
                var members = m.Members;
                foreach (var member in members.Where(x => x.Id != self && x.PeerUrls.Count > 0))
                {
                    if (!peers.TryGetValue(member.Id, out var url) || url != member.PeerUrls[0])
                    {
                        peers[member.Id] = member.PeerUrls[0];
                        transport.AddPeer(member.Id, new Uri(member.PeerUrls[0]));
                    }
                }
                foreach (var gone in peers.Keys.Where(id => members.All(x => x.Id != id)).ToList())
                {
                    peers.Remove(gone);
                    transport.RemovePeer(gone);
                }
            }
        }
        SyncPeers(membership);
        membership.Changed += SyncPeers;
        membership.Changed += m =>
        {
            if (m.Members.Count > 0 && m.Find(self) is null)
            {
                removed.TrySetResult();
            }
        };
    }

    /// <summary>Answers the peer service's membership, promotion and removal questions from this member.</summary>
    private void ServePeers(GrpcRaftTransport transport, ClusterMembership membership)
    {
        _transport = transport;
        transport.MembersProvider = membership.Encode;
        transport.PromoteHandler = PromoteHereAsync;
        transport.IsRemoved = membership.IsRemoved;
        transport.RemovedByPeer += () => _removed.TrySetResult();
    }

    /// <summary>The raft term as this member knows it.</summary>
    internal ulong RaftTerm => _raft.Term;

    /// <summary>The leader's member id, 0 when none is known.</summary>
    internal ulong LeaderId => _raft.LeaderId;

    bool IStoreCluster.IsReplicated => _membership is not null;

    bool IStoreCluster.CanChangeMembership => _membership is not null || CanGrow;

    IReadOnlyList<ClusterMember> IStoreCluster.Members => _membership?.Members
        ?? [new ClusterMember(MemberId, _options.MemberName, SelfPeerUrls(), SplitUrls(_options.AdvertiseClientUrls), false)];

    async ValueTask<(ClusterMember Added, IReadOnlyList<ClusterMember> Members)> IStoreCluster.AddMemberAsync(IReadOnlyList<string> peerUrls,
        bool learner, CancellationToken cancellationToken)
    {
        var urls = peerUrls.Select(u => u.TrimEnd('/')).ToArray();
        if (urls.Length == 0 || urls.Any(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new StoreException(StoreErrorCode.InvalidPeerUrls);
        }
        if (CanGrow && SelfPeerUrls().Intersect(urls).Any())
        {
            throw new StoreException(StoreErrorCode.PeerUrlExists);
        }
        var (membership, node) = await ReplicatedAsync(grow: true, cancellationToken).ConfigureAwait(false);
        if (learner)
        {
            if (membership.Members.Count(m => m.IsLearner) >= 1)
            {
                throw new StoreException(StoreErrorCode.TooManyLearners);
            }
        }
        else
        {
            // etcd's strict reconfiguration check: enough started voters for the new quorum, and every voter connected.
            var voters = membership.Members.Where(m => !m.IsLearner).ToList();
            var started = voters.Count(m => m.Name.Length > 0);
            if (!(started == 1 && voters.Count + 1 == 2) && started < (voters.Count + 1) / 2 + 1)
            {
                throw new StoreException(StoreErrorCode.NotEnoughStartedMembers);
            }
            if (await ConnectedAsync(voters, cancellationToken).ConfigureAwait(false) < voters.Count)
            {
                throw new StoreException(StoreErrorCode.Unhealthy);
            }
        }
        // As etcd: the health checks run when the request arrives, the URL conflict when the change is validated.
        if (membership.Members.Any(m => m.PeerUrls.Intersect(urls).Any()))
        {
            throw new StoreException(StoreErrorCode.PeerUrlExists);
        }
        var id = ClusterIds.MemberId(urls, _options.InitialClusterToken, _time.GetUtcNow());
        if (membership.Find(id) is not null)
        {
            throw new StoreException(StoreErrorCode.MemberExists);
        }
        var member = new ClusterMember(id, "", urls, [], learner);
        await node.ProposeConfChangeAsync(new ConfChange(learner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode, id, EncodeMember(member)),
            cancellationToken).ConfigureAwait(false);
        return (member, membership.Members);
    }

    async ValueTask<IReadOnlyList<ClusterMember>> IStoreCluster.RemoveMemberAsync(ulong id, CancellationToken cancellationToken)
    {
        if (CanGrow)
        {
            // A single member: etcd's answers for a one-voter cluster, without turning it into one for a refused change.
            throw new StoreException(id == MemberId ? StoreErrorCode.NotEnoughStartedMembers : StoreErrorCode.MemberNotFound);
        }
        var (membership, node) = await ReplicatedAsync(grow: false, cancellationToken).ConfigureAwait(false);
        if (membership.Find(id) is not { } target)
        {
            throw new StoreException(StoreErrorCode.MemberNotFound);
        }
        if (!target.IsLearner)
        {
            // etcd's mayRemoveMember: the voters left must have a started quorum; a member that is down may always go; otherwise
            // the connected voters after the removal must still be a quorum.
            var rest = membership.Members.Where(m => !m.IsLearner && m.Id != id).ToList();
            if (rest.Count(m => m.Name.Length > 0) < rest.Count / 2 + 1)
            {
                throw new StoreException(StoreErrorCode.NotEnoughStartedMembers);
            }
            if (id == MemberId || await _transport!.ProbeAsync(id, ProbeTimeout, cancellationToken).ConfigureAwait(false))
            {
                var voters = membership.Members.Where(m => !m.IsLearner).ToList();
                var active = await ConnectedAsync(voters, cancellationToken).ConfigureAwait(false);
                if (active - 1 < 1 + (voters.Count - 1) / 2)
                {
                    throw new StoreException(StoreErrorCode.Unhealthy);
                }
            }
        }
        await node.ProposeConfChangeAsync(new ConfChange(ConfChangeType.RemoveNode, id), cancellationToken).ConfigureAwait(false);
        return membership.Members;
    }

    async ValueTask<IReadOnlyList<ClusterMember>> IStoreCluster.UpdateMemberAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken)
    {
        var (membership, _) = await ReplicatedAsync(grow: true, cancellationToken).ConfigureAwait(false);
        var urls = peerUrls.Select(u => u.TrimEnd('/')).ToArray();
        if (urls.Length == 0 || urls.Any(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new StoreException(StoreErrorCode.InvalidPeerUrls);
        }
        if (membership.Find(id) is null)
        {
            throw new StoreException(StoreErrorCode.MemberNotFound);
        }
        if (membership.Members.Any(m => m.Id != id && m.PeerUrls.Intersect(urls).Any()))
        {
            throw new StoreException(StoreErrorCode.PeerUrlExists);
        }
        await _raft.ProposeAsync(ReplicatedStateMachine.EncodeUpdate(id, urls), cancellationToken).ConfigureAwait(false);
        return membership.Members;
    }

    /// <summary>This member plus every other voter that answers the connectivity probe now.</summary>
    private async Task<int> ConnectedAsync(IReadOnlyList<ClusterMember> voters, CancellationToken cancellationToken)
    {
        var probes = voters.Where(m => m.Id != MemberId).Select(m => _transport!.ProbeAsync(m.Id, ProbeTimeout, cancellationToken));
        var answers = await Task.WhenAll(probes).ConfigureAwait(false);
        return answers.Count(a => a) + (voters.Any(m => m.Id == MemberId) ? 1 : 0);
    }

    async ValueTask<IReadOnlyList<ClusterMember>> IStoreCluster.PromoteMemberAsync(ulong id, CancellationToken cancellationToken)
    {
        if (CanGrow)
        {
            throw new StoreException(id == MemberId ? StoreErrorCode.MemberNotLearner : StoreErrorCode.MemberNotFound);
        }
        var (membership, _) = await ReplicatedAsync(grow: false, cancellationToken).ConfigureAwait(false);
        // Only the leader knows whether the learner is in sync: a follower forwards the promotion to it, as etcd does.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(7));
        while (true)
        {
            var error = await PromoteHereAsync(id, deadline.Token).ConfigureAwait(false);
            if (error is null)
            {
                return membership.Members;
            }
            if (error != StoreErrorCode.NoLeader)
            {
                throw new StoreException(error.Value);
            }
            var leader = _raft.LeaderId;
            if (leader != 0 && leader != MemberId)
            {
                try
                {
                    error = await _transport!.ForwardPromoteAsync(leader, id, TimeSpan.FromSeconds(5), deadline.Token).ConfigureAwait(false);
                    if (error is null)
                    {
                        return membership.Members;
                    }
                    if (error != StoreErrorCode.NoLeader)
                    {
                        throw new StoreException(error.Value);
                    }
                }
                catch (StoreException ex) when (ex.Code is StoreErrorCode.LeaderChanged or StoreErrorCode.NoLeader && !deadline.IsCancellationRequested)
                {
                }
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new StoreException(StoreErrorCode.Timeout);
            }
        }
    }

    /// <summary>
    /// Promotes learner <paramref name="id"/> if this member leads (etcd's promoteMember): null once applied;
    /// <see cref="StoreErrorCode.NoLeader"/> when this member does not lead (the caller forwards); otherwise etcd's refusal.
    /// </summary>
    private async Task<StoreErrorCode?> PromoteHereAsync(ulong id, CancellationToken cancellationToken)
    {
        var (membership, node) = await ReplicatedAsync(grow: false, cancellationToken).ConfigureAwait(false);
        var member = membership.Find(id);
        if (member is null)
        {
            return StoreErrorCode.MemberNotFound;
        }
        if (!member.IsLearner)
        {
            return StoreErrorCode.MemberNotLearner;
        }
        var ready = await node.IsLearnerReadyAsync(id, cancellationToken).ConfigureAwait(false);
        if (ready is null)
        {
            return StoreErrorCode.NoLeader;
        }
        if (ready == false)
        {
            return StoreErrorCode.LearnerNotReady;
        }
        var voters = membership.Members.Where(m => !m.IsLearner).ToList();
        var started = voters.Count(m => m.Name.Length > 0) + (member.Name.Length > 0 ? 1 : 0);
        if (started < (voters.Count + 1) / 2 + 1)
        {
            return StoreErrorCode.NotEnoughStartedMembers;
        }
        await node.ProposeConfChangeAsync(new ConfChange(ConfChangeType.AddNode, id, EncodeMember(member with { IsLearner = false })), cancellationToken)
            .ConfigureAwait(false);
        return null;
    }

    /// <summary>This member's registry and Raft node; with <paramref name="grow"/>, a growable single member first hands over to Raft.</summary>
    private async ValueTask<(ClusterMembership Membership, MultiRaftNode Node)> ReplicatedAsync(bool grow, CancellationToken cancellationToken)
    {
        ThrowIfStopped();
        if (grow && CanGrow)
        {
            await GrowAsync(cancellationToken).ConfigureAwait(false);
        }
        if (_membership is null || _raft is not MultiRaftNode node)
        {
            throw new NotSupportedException("Membership changes need a replicated store or a single member that serves its peer URLs: " +
                "start it with --initial-cluster naming it (kube-host store does by default).");
        }
        return (_membership, node);
    }

    private static byte[] EncodeMember(ClusterMember member)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            ClusterMembership.EncodeMember(w, member);
        }
        return buffer.ToArray();
    }

    private static string[] SplitUrls(string urls) => urls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A keepalive on a replicated member is a log entry, so that the leader (which expires leases) and every member see it.</summary>
    private async ValueTask<LeaseKeepAliveResult> ReplicatedKeepAliveAsync(long id, CancellationToken cancellationToken)
    {
        var ttl = await ProposeAsync<long>(new LeaseKeepAliveCommand(id), consumesSpace: false, cancellationToken).ConfigureAwait(false);
        return new LeaseKeepAliveResult(_state.CurrentHeader(), id, ttl);
    }

    /// <summary>
    /// Only the leader expires leases. A member that has just become leader first gives every lease a full TTL (etcd's lessor
    /// Promote), because it cannot know how long ago the old leader last saw a keepalive.
    /// </summary>
    private bool LeadsLeases()
    {
        if (_membership is null)
        {
            return true;
        }
        var leads = _raft.LeaderId == MemberId;
        if (leads && !_ledLeases)
        {
            _state.RefreshAllLeases();
            _logger.LogInformation("Member {Member:x} leads: every lease restarts its TTL", MemberId);
        }
        _ledLeases = leads;
        return leads && !(_raft is MultiRaftNode { Role: not RaftRole.Leader });
    }

    /// <summary>Publishes this member's name and client URLs through the log (etcd's publish), retrying until it is applied or the store stops.</summary>
    private async Task PublishAttributesAsync(CancellationToken cancellationToken)
    {
        var clientUrls = SplitUrls(_options.AdvertiseClientUrls);
        var command = ReplicatedStateMachine.EncodeAttributes(MemberId, _options.MemberName, clientUrls);
        while (!cancellationToken.IsCancellationRequested)
        {
            if (_membership!.Find(MemberId) is { } me && me.Name == _options.MemberName && me.ClientUrls.SequenceEqual(clientUrls))
            {
                return;
            }
            try
            {
                if (_raft.LeaderId != 0)
                {
                    await _raft.ProposeAsync(command, cancellationToken).ConfigureAwait(false);
                    _logger.LogInformation("Member {Member:x} published its name {Name} and client URLs {Urls}", MemberId, _options.MemberName, clientUrls);
                    continue;
                }
            }
            catch (StoreException ex)
            {
                _logger.LogDebug("Publishing member attributes failed ({Reason}); retrying", ex.Message);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
