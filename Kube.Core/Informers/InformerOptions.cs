namespace Kube.Core.Informers;

/// <summary>Settings of a <see cref="SharedInformer{T}"/> and its reflector.</summary>
public sealed record InformerOptions
{
    /// <summary>
    /// How often every cached object is re-delivered to the handlers as <c>OnUpdate(obj, obj)</c>.
    /// Default null: no resync.
    /// </summary>
    public TimeSpan? ResyncPeriod { get; init; }

    /// <summary>The page size of lists (<c>limit</c>); default 500, as client-go.</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>The most pages one list may take before it is abandoned as runaway; default 100 000.</summary>
    public int MaxPages { get; init; } = 100_000;

    /// <summary>The first retry delay after a failed list or watch; default 800 ms. Later delays grow exponentially with jitter.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(800);

    /// <summary>The cap of the retry delay; default 30 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The base of the server-side timeout asked for each watch (<c>timeoutSeconds</c>); default 5 minutes. Each watch asks
    /// for a random value between one and two times this (as client-go), then the reflector re-watches from its last version.
    /// </summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A watch that ends within this time without any event counts as a failure (backoff applies); default 1 s.</summary>
    public TimeSpan MinWatchDuration { get; init; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        if (PageSize < 0) throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, "PageSize must be 0 (no paging) or positive.");
        if (MaxPages <= 0) throw new ArgumentOutOfRangeException(nameof(MaxPages), MaxPages, "MaxPages must be positive.");
        if (InitialBackoff <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(InitialBackoff), InitialBackoff, "InitialBackoff must be positive.");
        if (MaxBackoff < InitialBackoff) throw new ArgumentOutOfRangeException(nameof(MaxBackoff), MaxBackoff, "MaxBackoff must be at least InitialBackoff.");
        if (ResyncPeriod is { } r && r < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ResyncPeriod), r, "ResyncPeriod must not be negative.");
        if (WatchTimeout < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(WatchTimeout), WatchTimeout, "WatchTimeout must be at least 1 s.");
    }
}
