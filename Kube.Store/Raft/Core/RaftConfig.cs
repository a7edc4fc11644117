namespace Kube.Store.Raft.Core;

/// <summary>Settings of one <see cref="RaftNode"/>. Defaults follow etcd (tick 100 ms: election 10 ticks, heartbeat 1 tick).</summary>
internal sealed record RaftConfig
{
    /// <summary>This member's id (non-zero).</summary>
    public required ulong Id { get; init; }

    /// <summary>The durable log. Its snapshot's membership, else its <see cref="IRaftStorage.ConfState"/>, is the starting membership.</summary>
    public required IRaftStorage Storage { get; init; }

    /// <summary>The source of randomized election timeouts; seed it for deterministic runs.</summary>
    public required Random Random { get; init; }

    /// <summary>Ticks without hearing from a leader before an election (randomized in [n, 2n)). Default 10.</summary>
    public int ElectionTick { get; init; } = 10;

    /// <summary>Ticks between leader heartbeats. Default 1.</summary>
    public int HeartbeatTick { get; init; } = 1;

    /// <summary>The last index applied to the state machine before this start (usually the snapshot's index). Default 0.</summary>
    public ulong Applied { get; init; }

    /// <summary>Maximum bytes of entries in one append (at least one entry is always sent). Default 1 MiB.</summary>
    public ulong MaxSizePerMsg { get; init; } = 1024 * 1024;

    /// <summary>Maximum bytes of committed entries in one Ready. Default 64 MiB.</summary>
    public ulong MaxCommittedSizePerReady { get; init; } = 64 * 1024 * 1024;

    /// <summary>Appends in flight per follower in replicate state (the pipelining window). Default 512.</summary>
    public int MaxInflightMsgs { get; init; } = 512;

    /// <summary>A leader steps down when it has not heard from a quorum within an election timeout. Default true.</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>Run a pre-vote round that does not raise terms before a real election. Default true.</summary>
    public bool PreVote { get; init; } = true;
}
