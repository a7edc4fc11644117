namespace Kube.Store.Raft;

/// <summary>What the log drives: committed entries are applied here in log order, exactly once per process lifetime.</summary>
internal interface IStateMachine
{
    /// <summary>Applies one committed entry and returns its result (a <see cref="StoreException"/> instance for a deterministic failure).</summary>
    object Apply(ulong index, ulong term, ReadOnlySpan<byte> command);

    /// <summary>Records an entry that carries no command (a Raft no-op or configuration entry).</summary>
    void ApplyEmpty(ulong index, ulong term);

    /// <summary>
    /// Records an applied membership change (<paramref name="change"/>'s context is what the proposer gave; null for the founding
    /// members' entries) and the resulting membership. The default records the index only.
    /// </summary>
    void ApplyConfChange(ulong index, ulong term, Core.ConfChange change, Core.ConfState membership) => ApplyEmpty(index, term);

    /// <summary>
    /// Captures the state as of the last applied entry and returns a writer for it. Capturing is quick and happens on the
    /// applying thread; the returned writer may run later on another thread while entries keep being applied.
    /// </summary>
    Action<Stream> CaptureSnapshot();

    /// <summary>Replaces the state with a snapshot taken at <paramref name="index"/>.</summary>
    void RestoreSnapshot(Stream source, ulong index, ulong term);
}
