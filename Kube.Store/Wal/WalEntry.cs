namespace Kube.Store.Wal;

/// <summary>One log entry as stored in the WAL. An empty <see cref="Data"/> is a no-op entry.</summary>
internal readonly record struct WalEntry(ulong Index, ulong Term, ReadOnlyMemory<byte> Data);
