namespace Kube.Store.Raft.Core;

/// <summary>A state-machine snapshot at <see cref="Index"/>/<see cref="Term"/> with the membership as of that index.</summary>
internal sealed record RaftSnapshot(ulong Index, ulong Term, ConfState ConfState, byte[] Data);
