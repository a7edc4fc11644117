namespace Kube.Store.Raft.Core;

/// <summary>
/// Work for the I/O shell, in this order: persist <see cref="Snapshot"/>, <see cref="Entries"/> and <see cref="HardState"/>
/// (fsync when <see cref="MustSync"/>); send <see cref="Messages"/> (a leader's appends and heartbeats may go before the
/// fsync, everything else after it); apply <see cref="Snapshot"/> then <see cref="CommittedEntries"/>; serve
/// <see cref="ReadStates"/> once applied; then call <see cref="RaftNode.Advance"/>.
/// </summary>
internal sealed class RaftReady
{
    public SoftState? SoftState { get; init; }

    public HardState? HardState { get; init; }

    public IReadOnlyList<RaftEntry> Entries { get; init; } = [];

    public RaftSnapshot? Snapshot { get; init; }

    public IReadOnlyList<RaftEntry> CommittedEntries { get; init; } = [];

    public IReadOnlyList<RaftMessage> Messages { get; init; } = [];

    public IReadOnlyList<ReadState> ReadStates { get; init; } = [];

    public bool MustSync { get; init; }
}
