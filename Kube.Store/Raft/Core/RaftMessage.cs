namespace Kube.Store.Raft.Core;

/// <summary>A Raft message between members (or a local input to <see cref="RaftNode.Step"/>).</summary>
internal sealed record RaftMessage
{
    public RaftMessageType Type { get; init; }

    public ulong To { get; init; }

    public ulong From { get; init; }

    public ulong Term { get; init; }

    /// <summary>The term of the entry at <see cref="Index"/> (append, vote) or the hint's term (rejected append).</summary>
    public ulong LogTerm { get; init; }

    public ulong Index { get; init; }

    public RaftEntry[] Entries { get; init; } = [];

    public ulong Commit { get; init; }

    public bool Reject { get; init; }

    public ulong RejectHint { get; init; }

    public RaftSnapshot? Snapshot { get; init; }

    /// <summary>An opaque context: the ReadIndex request id on heartbeats and read replies, or <see cref="RaftNode.TransferContext"/> on a forced vote.</summary>
    public byte[]? Context { get; init; }

    public override string ToString() =>
        $"{Type} {From}->{To} t{Term} i{Index} lt{LogTerm} c{Commit} n{Entries.Length}{(Reject ? $" reject hint {RejectHint}" : "")}{(Snapshot is null ? "" : $" snap@{Snapshot.Index}")}";
}
