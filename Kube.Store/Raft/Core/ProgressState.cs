namespace Kube.Store.Raft.Core;

/// <summary>How the leader replicates to one follower.</summary>
internal enum ProgressState : byte
{
    /// <summary>One append at a time until the follower's match is found.</summary>
    Probe,

    /// <summary>Appends are pipelined up to the inflight window.</summary>
    Replicate,

    /// <summary>A snapshot is on its way; appends are paused.</summary>
    Snapshot,
}
