namespace Kube.Store.Raft.Core;

/// <summary>A confirmed linearizable read: once the state machine has applied <see cref="Index"/>, the read with <see cref="Context"/> may be served.</summary>
internal readonly record struct ReadState(ulong Index, byte[] Context);
