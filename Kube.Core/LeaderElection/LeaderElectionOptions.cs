namespace Kube.Core.LeaderElection;

/// <summary>
/// Settings and callbacks of a <see cref="LeaderElector"/> (client-go's LeaderElectionConfig). The defaults are
/// client-go's: lease 15 s, renew deadline 10 s, retry 2 s.
/// </summary>
public sealed record LeaderElectionOptions
{
    /// <summary>The name of the coordination.k8s.io/v1 Lease; required.</summary>
    public required string LeaseName { get; init; }

    /// <summary>The namespace of the Lease; default "kube-system".</summary>
    public string LeaseNamespace { get; init; } = "kube-system";

    /// <summary>This candidate's identity, written to <c>spec.holderIdentity</c>; required and unique per candidate.</summary>
    public required string Identity { get; init; }

    /// <summary>How long others wait after the last observed renewal before taking over; default 15 s.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps trying to renew before it gives up leadership; default 10 s. Must be below <see cref="LeaseDuration"/>.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait between attempts to acquire or renew; default 2 s. Acquire attempts add up to 1.2× jitter.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>When the elector is cancelled while leading, clear the holder so that another candidate takes over at once; default true.</summary>
    public bool ReleaseOnCancel { get; init; } = true;

    /// <summary>Runs when this candidate becomes leader; the token is cancelled when leadership ends.</summary>
    public Func<CancellationToken, Task>? OnStartedLeading { get; init; }

    /// <summary>Runs when this candidate stops leading (lost the lease, or was cancelled).</summary>
    public Action? OnStoppedLeading { get; init; }

    /// <summary>Runs when a different holder (possibly this candidate) is observed.</summary>
    public Action<string>? OnNewLeader { get; init; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(LeaseName);
        ArgumentException.ThrowIfNullOrEmpty(LeaseNamespace);
        ArgumentException.ThrowIfNullOrEmpty(Identity);
        if (RetryPeriod <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RetryPeriod), RetryPeriod, "RetryPeriod must be positive.");
        if (RenewDeadline <= RetryPeriod) throw new ArgumentOutOfRangeException(nameof(RenewDeadline), RenewDeadline, "RenewDeadline must be greater than RetryPeriod.");
        if (LeaseDuration <= RenewDeadline) throw new ArgumentOutOfRangeException(nameof(LeaseDuration), LeaseDuration, "LeaseDuration must be greater than RenewDeadline.");
    }
}
