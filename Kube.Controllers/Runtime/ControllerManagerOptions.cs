namespace Kube.Controllers.Runtime;

/// <summary>Options of the <see cref="ControllerManager"/> and of the built-in controllers.</summary>
public sealed class ControllerManagerOptions
{
    /// <summary>
    /// Run the controllers only while holding a coordination.k8s.io/v1 Lease, so that one manager of several is active.
    /// Default false (the manager runs its controllers at once).
    /// </summary>
    public bool LeaderElection { get; set; }

    /// <summary>The Lease's name when <see cref="LeaderElection"/> is on. Default "kube-controller-manager".</summary>
    public string LeaseName { get; set; } = "kube-controller-manager";

    /// <summary>The Lease's namespace when <see cref="LeaderElection"/> is on. Default "kube-system".</summary>
    public string LeaseNamespace { get; set; } = "kube-system";

    /// <summary>This manager's identity in the Lease. Default null: the machine name and a random suffix.</summary>
    public string? Identity { get; set; }

    /// <summary>How long to wait for the informer caches to sync before the manager fails. Default 2 minutes.</summary>
    public TimeSpan CacheSyncTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Workers of the built-in ReplicaSet controller. Default 5 (upstream's --concurrent-replicaset-syncs).</summary>
    public int ConcurrentReplicaSetSyncs { get; set; } = 5;

    /// <summary>Workers of the built-in Deployment controller. Default 5 (upstream's --concurrent-deployment-syncs).</summary>
    public int ConcurrentDeploymentSyncs { get; set; } = 5;

    /// <summary>Workers of each garbage-collector controller. Default 5.</summary>
    public int ConcurrentGarbageCollectorSyncs { get; set; } = 5;

    /// <summary>Workers of the built-in StatefulSet controller. Default 5 (upstream's --concurrent-statefulset-syncs).</summary>
    public int ConcurrentStatefulSetSyncs { get; set; } = 5;

    /// <summary>Workers of the built-in DaemonSet controller. Default 2 (upstream's --concurrent-daemonset-syncs).</summary>
    public int ConcurrentDaemonSetSyncs { get; set; } = 2;

    /// <summary>Workers of the built-in Job controller. Default 5 (upstream's --concurrent-job-syncs).</summary>
    public int ConcurrentJobSyncs { get; set; } = 5;

    /// <summary>Workers of the built-in CronJob controller. Default 5 (upstream's --concurrent-cron-job-syncs).</summary>
    public int ConcurrentCronJobSyncs { get; set; } = 5;

    /// <summary>Workers of the ttl-after-finished controller. Default 5 (upstream's --concurrent-ttl-after-finished-syncs).</summary>
    public int ConcurrentTtlAfterFinishedSyncs { get; set; } = 5;

    /// <summary>
    /// The Job controller's delay before replacing the first failed pod; it doubles with every further failure since the
    /// last success. Default 10 s (upstream's DefaultJobPodFailureBackOff).
    /// </summary>
    public TimeSpan JobPodFailureBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The cap of <see cref="JobPodFailureBackoff"/>'s doubling. Default 10 minutes (upstream's MaxJobPodFailureBackOff).</summary>
    public TimeSpan JobPodFailureBackoffMax { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The cluster CA bundle (PEM) the root-ca-cert-publisher writes to the <c>ca.crt</c> key of the
    /// <c>kube-root-ca.crt</c> ConfigMap in every namespace (upstream's --root-ca-file). Default null: nothing is published.
    /// </summary>
    public string? RootCaBundle { get; set; }

    /// <summary>
    /// How long a node may post neither a Lease renewal nor a status heartbeat before the node-lifecycle controller marks
    /// it Unknown and taints it unreachable. Default 50 s (upstream's --node-monitor-grace-period since 1.32).
    /// </summary>
    public TimeSpan NodeMonitorGracePeriod { get; set; } = TimeSpan.FromSeconds(50);

    /// <summary>How long a new node may go without ever posting status before it is marked Unknown. Default 60 s (upstream's --node-startup-grace-period).</summary>
    public TimeSpan NodeStartupGracePeriod { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often every ResourceQuota's status.used is recomputed in full. Default 5 minutes (upstream's --resource-quota-sync-period).</summary>
    public TimeSpan ResourceQuotaSyncPeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often each HorizontalPodAutoscaler is re-evaluated against its metrics. Default 15 s (upstream's
    /// --horizontal-pod-autoscaler-sync-period).
    /// </summary>
    public TimeSpan HorizontalPodAutoscalerSyncPeriod { get; set; } = TimeSpan.FromSeconds(15);
}
