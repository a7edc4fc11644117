namespace Kube.Host.Cluster;

/// <summary>Settings of <c>kube-host up</c>.</summary>
internal sealed record AllInOneOptions
{
    /// <summary>Absolute data directory (default <c>./.kube-host</c>).</summary>
    public required string DataDir { get; init; }
    /// <summary>API server port on 127.0.0.1 (default 6443).</summary>
    public int ApiPort { get; init; } = 6443;
    /// <summary>Number of node agents (default 1), named node-1 … node-N.</summary>
    public int Nodes { get; init; } = 1;
    /// <summary>Container runtime of the built-in nodes: process (default), cri or simulated.</summary>
    public string Runtime { get; init; } = "process";
    /// <summary>containerd's CRI socket for <c>--runtime cri</c> (default /run/containerd/containerd.sock).</summary>
    public string CriSocket { get; init; } = "/run/containerd/containerd.sock";
    /// <summary>Extra simulated (KWOK-like) nodes, named sim-1 … sim-N (default 0).</summary>
    public int SimulatedNodes { get; init; }
    /// <summary>Use an existing etcd cluster instead of the embedded store (default: none, embedded).</summary>
    public IReadOnlyList<string> EtcdServers { get; init; } = [];
    /// <summary>Upstream's <c>--token-auth-file</c>: a CSV of static bearer tokens <c>token,user,uid,"group1,group2"</c> (default: none).</summary>
    public string? TokenAuthFile { get; init; }
    /// <summary>Upstream's <c>--encryption-provider-config</c>: an EncryptionConfiguration file for encryption at rest (default: none, values stored as they are).</summary>
    public string? EncryptionProviderConfig { get; init; }
    /// <summary>A KubeletConfiguration (kubelet.config.k8s.io/v1beta1) file applied to every built-in non-simulated node, e.g. staticPodPath or evictionHard (default: none).</summary>
    public string? KubeletConfig { get; init; }

    /// <summary>A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) file for the built-in scheduler (default: none, upstream's default profile).</summary>
    public string? SchedulerConfig { get; init; }
    /// <summary>Upstream's <c>--audit-policy-file</c>: an audit Policy (audit.k8s.io/v1) file (default: none, no audit log).</summary>
    public string? AuditPolicyFile { get; init; }
    /// <summary>Upstream's <c>--audit-log-path</c>: the JSON-lines audit log, "-" for standard output (default: DIR/audit.log when a policy is given).</summary>
    public string? AuditLogPath { get; init; }
    /// <summary>Upstream's <c>--audit-log-maxsize</c>, <c>--audit-log-maxbackup</c>, <c>--audit-log-maxage</c> (0: 100 MB, all, no limit).</summary>
    public int AuditLogMaxSize { get; init; }
    /// <summary>See <see cref="AuditLogMaxSize"/>.</summary>
    public int AuditLogMaxBackup { get; init; }
    /// <summary>See <see cref="AuditLogMaxSize"/>.</summary>
    public int AuditLogMaxAge { get; init; }
    /// <summary>Stop when the parent process exits (default true).</summary>
    public bool ExitWithParent { get; init; } = true;
}
