using Kube.Store.Raft.Core;

namespace Kube.Store.Tests.Simulation;

/// <summary>One simulated member: the Raft core, its "disk" (what survived fsync), the unsynced writes, and the state machine.</summary>
internal sealed class SimMember(ulong id, MemoryRaftStorage disk)
{
    public ulong Id { get; } = id;

    public MemoryRaftStorage Disk { get; } = disk;

    public RaftNode Raft { get; set; } = null!;

    public SimKvStore Kv { get; } = new();

    public ConfState Conf { get; set; } = disk.ConfState;

    public bool Up { get; set; } = true;

    /// <summary>Removed from the membership: stopped for good.</summary>
    public bool Removed { get; set; }

    /// <summary>Bumped on crash so that the old incarnation's timers and fsyncs are ignored.</summary>
    public int Epoch { get; set; }

    /// <summary>Writes handed to the "disk" but not yet fsynced, in order; a crash keeps none or (torn) a prefix.</summary>
    public List<Action<MemoryRaftStorage>> Unsynced { get; } = [];

    /// <summary>The Ready being persisted (fsync pending).</summary>
    public RaftReady? InFlight { get; set; }

    public ulong LastApplied { get; set; }

    public int TickInterval { get; set; } = 100;

    /// <summary>A fault armed to crash this member while its next write is waiting for fsync.</summary>
    public bool CrashDuringNextFsync { get; set; }

    public long LastRevision { get; set; }

    public Dictionary<long, KvOperation> WaitingWrites { get; } = [];

    public Dictionary<long, KvOperation> WaitingReadIndex { get; } = [];

    public List<(ulong Index, KvOperation Op)> WaitingApply { get; } = [];

    public void ResetVolatile()
    {
        Unsynced.Clear();
        InFlight = null;
        WaitingWrites.Clear();
        WaitingReadIndex.Clear();
        WaitingApply.Clear();
    }
}
