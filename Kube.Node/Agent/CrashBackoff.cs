namespace Kube.Node.Agent;

/// <summary>
/// CrashLoopBackOff bookkeeping for one container of one pod: the first restart is immediate, then the delay is
/// <c>initial</c>, doubled on each further restart up to <c>max</c>; it resets after the container ran 10 minutes.
/// </summary>
internal sealed class CrashBackoff(TimeSpan initial, TimeSpan max)
{
    private static readonly TimeSpan ResetAfter = TimeSpan.FromMinutes(10);

    /// <summary>Restarts done so far in this backoff window.</summary>
    public int Restarts { get; private set; }

    /// <summary>The delay to wait after a container that ran from <paramref name="startedAt"/> to <paramref name="finishedAt"/> exited.</summary>
    public TimeSpan DelayAfter(DateTimeOffset? startedAt, DateTimeOffset? finishedAt)
    {
        if (startedAt is { } s && finishedAt is { } f && f - s >= ResetAfter)
        {
            Restarts = 0;
        }

        if (Restarts == 0)
        {
            return TimeSpan.Zero;
        }

        var factor = Math.Pow(2, Math.Min(Restarts - 1, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(initial.Ticks * factor, max.Ticks));
        return delay;
    }

    public void RecordRestart() => Restarts++;

    private string? _reported;

    /// <summary>True the first time it is asked about one exited container: one BackOff event per crash, not per sync.</summary>
    public bool ReportBackoff(string containerId)
    {
        if (_reported == containerId)
        {
            return false;
        }

        _reported = containerId;
        return true;
    }
}
