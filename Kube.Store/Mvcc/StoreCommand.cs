namespace Kube.Store.Mvcc;

/// <summary>A write to the state machine, as it travels through the log. Every write is one of these.</summary>
internal abstract record StoreCommand;

/// <summary>A txn; a plain put or delete-range is a txn with one success operation and no compares.</summary>
internal sealed record TxnCommand(TxnRequest Txn) : StoreCommand;

/// <summary>Discards history before <paramref name="Revision"/>.</summary>
internal sealed record CompactCommand(long Revision) : StoreCommand;

/// <summary>Creates a lease. The id is chosen before proposing, so that replay is deterministic.</summary>
internal sealed record LeaseGrantCommand(long Id, long Ttl) : StoreCommand;

/// <summary>Removes a lease and deletes its keys (also used for expiry).</summary>
internal sealed record LeaseRevokeCommand(long Id) : StoreCommand;

/// <summary>Renews a lease on every member (a replicated member's keepalive goes through the log so the leader, which expires leases, sees it).</summary>
internal sealed record LeaseKeepAliveCommand(long Id) : StoreCommand;
