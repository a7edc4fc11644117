namespace Kube.Store.Raft;

/// <summary>
/// The propose → commit → apply seam. The store encodes each write as a command and proposes it; the node makes it
/// durable (and, with a real Raft core, replicated to a quorum), applies committed entries to the
/// <see cref="IStateMachine"/> in log order, and completes the proposal with the apply result.
/// A multi-member Raft node replaces <see cref="SingleMemberRaft"/> behind this interface without touching MVCC or the API.
/// </summary>
internal interface IRaftNode : IAsyncDisposable
{
    /// <summary>Proposes a command. Completes once it is committed and applied, with the state machine's result.</summary>
    /// <remarks>Cancellation is honoured only until the command is written to the log; after that the write happens.</remarks>
    ValueTask<object> ProposeAsync(byte[] command, CancellationToken cancellationToken);

    /// <summary>A linearizable read point: completes once this member has applied everything committed when the read was confirmed.</summary>
    ValueTask<ulong> ReadIndexAsync(CancellationToken cancellationToken);

    ulong MemberId { get; }

    ulong LeaderId { get; }

    ulong Term { get; }

    ulong CommitIndex { get; }

    ulong AppliedIndex { get; }
}
