namespace Kube.Store.Raft.Core;

/// <summary>One log entry. <see cref="Data"/> is empty for the no-op a new leader appends.</summary>
internal readonly record struct RaftEntry(ulong Term, ulong Index, RaftEntryType Type, byte[] Data)
{
    /// <summary>The size counted against <c>MaxSizePerMsg</c>: the payload plus a fixed header.</summary>
    public ulong Size => (ulong)Data.Length + 17;
}
