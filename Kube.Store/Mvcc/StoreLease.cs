namespace Kube.Store.Mvcc;

/// <summary>A granted lease: its TTL, expiry (from the injected clock) and attached keys.</summary>
internal sealed class StoreLease(long id, long ttl, long grantedTtl)
{
    private long _expiryTicks;

    public long Id { get; } = id;

    /// <summary>The effective TTL in seconds (the granted TTL raised to the minimum).</summary>
    public long Ttl { get; } = ttl;

    /// <summary>The TTL the client asked for.</summary>
    public long GrantedTtl { get; } = grantedTtl;

    public HashSet<byte[]> Keys { get; } = new(ByteKeyComparer.Instance);

    public DateTimeOffset Expiry => new(Volatile.Read(ref _expiryTicks), TimeSpan.Zero);

    public void Refresh(DateTimeOffset now) => Volatile.Write(ref _expiryTicks, (now + TimeSpan.FromSeconds(Ttl)).UtcTicks);
}
