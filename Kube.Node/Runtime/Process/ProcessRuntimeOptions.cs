namespace Kube.Node.Runtime.Process;

/// <summary>Options of <see cref="ProcessRuntime"/>.</summary>
public sealed record ProcessRuntimeOptions
{
    /// <summary>Root of the runtime's state: <c>pods/&lt;uid&gt;/</c> holds each pod's working directory, state file and logs. Required.</summary>
    public required string DataDir { get; init; }

    /// <summary>The pod CIDR inside 127.0.0.0/8 from which pod IPs come. Default 127.1.0.0/24 (hosts .2–.254).</summary>
    public string PodCidr { get; init; } = "127.1.0.0/24";

    /// <summary>
    /// The folder where pod IPs are claimed machine-wide (an flock'd file per IP), so that runtimes of different processes
    /// on one machine (two clusters, tests in parallel) never hand out the same IP even with the same <see cref="PodCidr"/>:
    /// one claimed elsewhere is skipped. Every runtime that should not collide must use the same folder. Default null:
    /// <c>$TMPDIR/kube-pod-ips</c> (<c>/tmp/kube-pod-ips</c>). Where it cannot be used, IPs are unique within this runtime only (logged).
    /// </summary>
    public string? PodIpClaimDirectory { get; init; }

    /// <summary>How often exited processes are reaped. Default 100 ms.</summary>
    public TimeSpan ReapInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Whether containers' cpu and memory limits are enforced with cgroups (v2, else v1) when the machine allows. Default true.</summary>
    public bool EnforceResourceLimits { get; init; } = true;

    /// <summary>Where the cgroup hierarchies are mounted. Default /sys/fs/cgroup.</summary>
    public string CgroupRoot { get; init; } = "/sys/fs/cgroup";

    /// <summary>How long to wait for a process group to die after SIGKILL before giving up. Default 5 s.</summary>
    public TimeSpan KillTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
