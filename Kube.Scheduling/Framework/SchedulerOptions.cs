namespace Kube.Scheduling.Framework;

/// <summary>Options of the scheduler (<c>services.AddKubeScheduler(o => ...)</c>).</summary>
public sealed class SchedulerOptions
{
    /// <summary>The name of the default profile: "default-scheduler".</summary>
    public const string DefaultSchedulerName = "default-scheduler";

    /// <summary>The profiles. Empty (the default) means one profile named "default-scheduler" with every registered plugin.</summary>
    public IList<SchedulerProfile> Profiles { get; } = [];

    /// <summary>How many nodes Filter runs on at once. Default 16 (upstream's parallelism).</summary>
    public int Parallelism { get; set; } = 16;

    /// <summary>
    /// The share of nodes to find feasible before scoring, 1..100. Null (the default) is upstream's adaptive rule:
    /// every node below 100 nodes, otherwise 50 − nodes/125 percent, at least 5 % and at least 100 nodes.
    /// </summary>
    public int? PercentageOfNodesToScore { get; set; }

    /// <summary>The first backoff of a pod that failed to schedule. Default 1 s.</summary>
    public TimeSpan PodInitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The backoff doubles per attempt up to this. Default 10 s.</summary>
    public TimeSpan PodMaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Pods stay in the unschedulable set at most this long before they are retried anyway. Default 5 minutes.</summary>
    public TimeSpan PodMaxInUnschedulablePodsDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Preemption's API calls (the victims' DisruptionTarget condition and deletion, their events, clearing lower-priority
    /// nominations) run off the scheduling loop, which goes on with the next pod; the preemptor is not retried before they
    /// are done (upstream's SchedulerAsyncPreemption feature, on by default since 1.33). Default true.
    /// </summary>
    public bool AsyncPreemption { get; set; } = true;

    /// <summary>
    /// When no pod is active, the pop takes the pod whose backoff ends first instead of waiting for it, unless it is
    /// backing off after an error (upstream's SchedulerPopFromBackoffQ feature, on by default since 1.33). Default true.
    /// </summary>
    public bool PopFromBackoffQ { get; set; } = true;

    /// <summary>The seed of the random choice between equally scored nodes; null (the default) seeds from the clock.</summary>
    public int? Seed { get; set; }

    /// <summary>Schedule only while holding a coordination.k8s.io/v1 Lease (for several schedulers in HA). Default false.</summary>
    public bool LeaderElection { get; set; }

    /// <summary>The Lease's name when <see cref="LeaderElection"/> is on. Default "kube-scheduler".</summary>
    public string LeaseName { get; set; } = "kube-scheduler";

    /// <summary>The Lease's namespace when <see cref="LeaderElection"/> is on. Default "kube-system".</summary>
    public string LeaseNamespace { get; set; } = "kube-system";

    /// <summary>This scheduler's identity in the Lease. Default null: the machine name and a random suffix.</summary>
    public string? Identity { get; set; }

    /// <summary>
    /// How long a pod assumed on a node may wait, after its binding call returned, for the informer to show it bound
    /// before the cache forgets it (upstream's durationToExpireAssumedPod). Default <see cref="TimeSpan.Zero"/>: never,
    /// as upstream since kubernetes/kubernetes#106361; assumed pods then leave the cache only when the informer confirms
    /// them, their binding fails or they are deleted.
    /// </summary>
    public TimeSpan DurationToExpireAssumedPod { get; set; } = TimeSpan.Zero;

    /// <summary>How often expired assumed pods are looked for when <see cref="DurationToExpireAssumedPod"/> is positive. Default 1 s (upstream's cleanAssumedPeriod).</summary>
    public TimeSpan CleanAssumedPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Write a FailedScheduling Event for pods that do not fit. Default true.</summary>
    public bool RecordEvents { get; set; } = true;

    /// <summary>Errors found reading a KubeSchedulerConfiguration; reported by validation at start.</summary>
    internal List<string> ConfigurationErrors { get; } = [];

    /// <summary>The effective profiles: <see cref="Profiles"/>, or the default profile when it is empty.</summary>
    public IReadOnlyList<SchedulerProfile> EffectiveProfiles() => Profiles.Count > 0 ? Profiles.ToList() : [new SchedulerProfile()];
}
