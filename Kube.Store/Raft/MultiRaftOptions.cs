namespace Kube.Store.Raft;

/// <summary>Settings of one replicated member (<see cref="MultiRaftNode"/>).</summary>
internal sealed record MultiRaftOptions
{
    /// <summary>This member's id (non-zero).</summary>
    public required ulong MemberId { get; init; }

    /// <summary>The founding voters (including this member); used to bootstrap an empty data dir.</summary>
    public required IReadOnlyList<ulong> InitialMembers { get; init; }

    /// <summary>The member's data directory: <c>raft/log</c> (entries and HardState) and <c>snap/</c> (state snapshots).</summary>
    public required string DataDir { get; init; }

    /// <summary>The logical clock period. Default 100 ms (etcd's heartbeat interval).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Ticks without a leader before an election (randomized in [n, 2n)). Default 10 (1 s).</summary>
    public int ElectionTicks { get; init; } = 10;

    /// <summary>Ticks between heartbeats. Default 1.</summary>
    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>
    /// Proposals and reads waiting for the loop. Default 1024. When full, <see cref="MultiRaftNode.ProposeAsync"/> waits (back-pressure).
    /// </summary>
    public int ProposalQueueLength { get; init; } = 1024;

    /// <summary>Inbound messages waiting for the loop. Default 4096. When full, new messages are dropped (Raft retransmits).</summary>
    public int InboundQueueLength { get; init; } = 4096;

    /// <summary>A proposal or read that finds no leader is retried each tick and fails with <see cref="StoreErrorCode.NoLeader"/> after this many ticks. Default 30 (3 s).</summary>
    public int NoLeaderTicks { get; init; } = 30;

    /// <summary>A proposal accepted but not applied within this many ticks fails with <see cref="StoreErrorCode.Timeout"/> (it may still be applied later). Default 70 (7 s).</summary>
    public int ProposalTimeoutTicks { get; init; } = 70;

    /// <summary>
    /// Applied entries between state snapshots (a snapshot also waits for half the previous one's size in new WAL bytes). Default
    /// 10,000 (etcd: --snapshot-count 100,000). 0 disables snapshots.
    /// </summary>
    public long SnapshotCount { get; init; } = 10_000;

    /// <summary>Entries kept in the log behind a snapshot so that a slightly lagging follower catches up without a snapshot. Default 5,000 (etcd's value).</summary>
    public long CatchUpEntries { get; init; } = 5_000;

    /// <summary>Seed of the election-timeout randomization. Default: the member id.</summary>
    public int? Seed { get; init; }
}
