namespace Kube.Store.Raft.Core;

/// <summary>What must be durable before a vote or an acknowledgement leaves the member: term, vote and commit index.</summary>
internal readonly record struct HardState(ulong Term, ulong Vote, ulong Commit);
