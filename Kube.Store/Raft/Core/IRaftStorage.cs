namespace Kube.Store.Raft.Core;

/// <summary>
/// The stable (persisted) part of the log, read by the core. Index <see cref="FirstIndex"/> − 1 is the last compacted
/// entry (the snapshot's index); its term is still known.
/// </summary>
internal interface IRaftStorage
{
    HardState HardState { get; }

    ConfState ConfState { get; }

    ulong FirstIndex { get; }

    ulong LastIndex { get; }

    /// <summary>The term at <paramref name="index"/>; false when the entry is compacted or beyond the last index.</summary>
    bool TryTerm(ulong index, out ulong term);

    /// <summary>Entries in [lo, hi), at least one when available, then up to <paramref name="maxSize"/> bytes; null when lo is compacted.</summary>
    IReadOnlyList<RaftEntry>? Entries(ulong lo, ulong hi, ulong maxSize);

    /// <summary>The latest snapshot (its index is <see cref="FirstIndex"/> − 1 or later), or null when there is none.</summary>
    RaftSnapshot? Snapshot();
}
