namespace Kube.Store.Raft.Core;

/// <summary>Volatile state worth reporting (not persisted): the known leader and this member's role.</summary>
internal readonly record struct SoftState(ulong Lead, RaftRole Role);
