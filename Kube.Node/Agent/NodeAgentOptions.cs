using Kube.Core.Net;
using k8s.Models;

namespace Kube.Node.Agent;

/// <summary>Options of one <see cref="NodeAgent"/> (one node). Register several agents with different <see cref="NodeName"/>s to run N nodes in one host.</summary>
public sealed class NodeAgentOptions
{
    /// <summary>The Node's name; required, a DNS-1123 subdomain. Default: the machine's host name, lower-cased.</summary>
    public string NodeName { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>Where the runtime keeps pod directories, logs and state; required. Default: <c>&lt;temp&gt;/kube-node/&lt;NodeName&gt;</c>.</summary>
    public string? DataDir { get; set; }

    /// <summary>The pod CIDR inside 127.0.0.0/8 (spec.podCIDR). Default null: <c>127.1.&lt;NodeIndex&gt;.0/24</c>.</summary>
    public string? PodCidr { get; set; }

    /// <summary>The node's index, used for the default <see cref="PodCidr"/>. Default null: the 1-based order in which agents were registered.</summary>
    public int? NodeIndex { get; set; }

    /// <summary>The container runtime by name: "process" (the default, a container is a host process) or "simulated" (no processes, for scale tests); more through <see cref="IContainerRuntimeProvider"/>.</summary>
    public string Runtime { get; set; } = "process";

    /// <summary>Capacity cpu in cores. Default <see cref="Environment.ProcessorCount"/>.</summary>
    public int? CpuCapacity { get; set; }

    /// <summary>Capacity memory in bytes. Default: MemTotal from /proc/meminfo.</summary>
    public long? MemoryCapacityBytes { get; set; }

    /// <summary>Capacity pods. Default 110.</summary>
    public int MaxPods { get; set; } = 110;

    /// <summary>Extra labels of the Node, besides kubernetes.io/hostname, kubernetes.io/os and kubernetes.io/arch. Default none.</summary>
    public IDictionary<string, string> Labels { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Taints registered with the Node. Default none.</summary>
    public IList<V1Taint> Taints { get; } = [];

    /// <summary>How often the node's status is posted. Default 10 s.</summary>
    public TimeSpan NodeStatusUpdateInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the node Lease is renewed. Default 10 s.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The node Lease's duration. Default 40 s.</summary>
    public int LeaseDurationSeconds { get; set; } = 40;

    /// <summary>How often the runtime is relisted to notice containers that died (PLEG). Default 1 s.</summary>
    public TimeSpan RelistInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often every pod is synced even without events. Default 1 min.</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The first CrashLoopBackOff delay, doubled on each restart. Default 10 s.</summary>
    public TimeSpan BackoffInitial { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The CrashLoopBackOff cap. Default 300 s.</summary>
    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>The most time pods get between SIGTERM and SIGKILL when the agent stops (host shutdown). Default 10 s.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>KUBERNETES_SERVICE_HOST given to pods. Default null: the clusterIP of Service default/kubernetes when it exists.</summary>
    public string? KubernetesServiceHost { get; set; }

    /// <summary>KUBERNETES_SERVICE_PORT given to pods. Default null: the first port of Service default/kubernetes.</summary>
    public int? KubernetesServicePort { get; set; }

    /// <summary>The kubelet server's port (logs, exec, stats), advertised in status.daemonEndpoints.kubeletEndpoint.port. 0 picks a free port; null runs no server. Default 0.</summary>
    public int? KubeletPort { get; set; } = 0;

    /// <summary>The kubelet server's address; loopback only. Default 127.0.0.1.</summary>
    public string KubeletAddress { get; set; } = "127.0.0.1";

    /// <summary>HTTPS with client-certificate authentication for the kubelet server (upstream's --tls-cert-file, --client-ca-file, --anonymous-auth=false). Default null: plain HTTP.</summary>
    public Server.KubeletServerTlsOptions? KubeletTls { get; set; }

    /// <summary>
    /// A directory of Pod manifests (YAML or JSON, one pod per file) run as static pods: without the API server, mirrored
    /// into it as mirror pods (KubeletConfiguration staticPodPath). Default null: none.
    /// </summary>
    public string? StaticPodPath { get; set; }

    /// <summary>How often <see cref="StaticPodPath"/> is re-read (KubeletConfiguration fileCheckFrequency). Default 20 s, as upstream.</summary>
    public TimeSpan FileCheckFrequency { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Hard eviction thresholds by signal (memory.available, nodefs.available, nodefs.inodesFree, imagefs.available,
    /// imagefs.inodesFree): a quantity ("100Mi") or a percentage of capacity ("10%"); met means pods are evicted at once.
    /// Default as upstream: memory.available 100Mi, nodefs.available 10%, nodefs.inodesFree 5%, imagefs.available 15%.
    /// Clear it (and <see cref="EvictionSoft"/>) to run no eviction manager.
    /// </summary>
    public IDictionary<string, string> EvictionHard { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["memory.available"] = "100Mi",
        ["nodefs.available"] = "10%",
        ["nodefs.inodesFree"] = "5%",
        ["imagefs.available"] = "15%",
    };

    /// <summary>Soft eviction thresholds, in the form of <see cref="EvictionHard"/>; each needs a grace period in <see cref="EvictionSoftGracePeriod"/>. Default none.</summary>
    public IDictionary<string, string> EvictionSoft { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How long a soft threshold must stay met before pods are evicted for it, by signal. Default none.</summary>
    public IDictionary<string, TimeSpan> EvictionSoftGracePeriod { get; } = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);

    /// <summary>How long a pressure condition stays True after its threshold was last met. Default 5 min, as upstream.</summary>
    public TimeSpan EvictionPressureTransitionPeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest grace period a pod evicted for a soft threshold gets; 0 uses the pod's own. Hard evictions give 1 s. Default 0.</summary>
    public int EvictionMaxPodGracePeriodSeconds { get; set; }

    /// <summary>How often the eviction manager observes the signals. Default 10 s, as upstream's monitoring interval.</summary>
    public TimeSpan EvictionMonitoringInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The parsed eviction thresholds; throws <see cref="ArgumentException"/> naming the bad entry.</summary>
    internal IReadOnlyList<Eviction.EvictionThreshold> EvictionThresholds()
    {
        var result = EvictionHard.Select(kv => Eviction.EvictionThreshold.Parse("evictionHard", kv.Key, kv.Value, null)).ToList();
        foreach (var (signal, value) in EvictionSoft)
        {
            if (!EvictionSoftGracePeriod.TryGetValue(signal, out var grace) || grace < TimeSpan.Zero)
            {
                throw new ArgumentException($"evictionSoft: {signal} needs a grace period in evictionSoftGracePeriod");
            }

            result.Add(Eviction.EvictionThreshold.Parse("evictionSoft", signal, value, grace));
        }

        return result;
    }

    /// <summary>The size above which a container's log file is rotated (KubeletConfiguration containerLogMaxSize). Default 10 MiB, as upstream.</summary>
    public long ContainerLogMaxSize { get; set; } = 10 * 1024 * 1024;

    /// <summary>How many files a container's log keeps, the current one included (containerLogMaxFiles, at least 2). Default 5, as upstream.</summary>
    public int ContainerLogMaxFiles { get; set; } = 5;

    /// <summary>How often log sizes are checked (containerLogMonitorInterval). Default 10 s, as upstream.</summary>
    public TimeSpan ContainerLogMonitorInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The effective pod CIDR.</summary>
    internal string EffectivePodCidr => PodCidr ?? $"127.1.{NodeIndex ?? 1}.0/24";

    internal string EffectiveDataDir => DataDir ?? Path.Combine(Path.GetTempPath(), "kube-node", NodeName);

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(NodeName) || NodeName.Length > 253
            || !System.Text.RegularExpressions.Regex.IsMatch(NodeName, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"))
        {
            throw new ArgumentException($"NodeAgentOptions.NodeName \"{NodeName}\" must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')");
        }

        if (!Ipv4Cidr.TryParse(EffectivePodCidr, out var cidr) || (cidr.Network >> 24) != 127)
        {
            throw new ArgumentException($"NodeAgentOptions.PodCidr \"{EffectivePodCidr}\" must be an IPv4 CIDR inside 127.0.0.0/8 with a prefix of /30 or shorter");
        }

        if (KubeletPort is < 0 or > 65535)
        {
            throw new ArgumentException($"NodeAgentOptions.KubeletPort {KubeletPort} must be within 0-65535");
        }

        if (!System.Net.IPAddress.TryParse(KubeletAddress, out var kubeletAddress) || !System.Net.IPAddress.IsLoopback(kubeletAddress))
        {
            throw new ArgumentException($"NodeAgentOptions.KubeletAddress \"{KubeletAddress}\" must be a loopback address");
        }

        _ = EvictionThresholds();

        if (NodeIndex is < 0 or > 255)
        {
            throw new ArgumentException($"NodeAgentOptions.NodeIndex {NodeIndex} must be within 0-255");
        }

        if (MaxPods <= 0 || LeaseDurationSeconds <= 0 || NodeStatusUpdateInterval <= TimeSpan.Zero || LeaseRenewInterval <= TimeSpan.Zero
            || RelistInterval <= TimeSpan.Zero || ResyncInterval <= TimeSpan.Zero || BackoffInitial < TimeSpan.Zero || BackoffMax < BackoffInitial
            || ShutdownGracePeriod < TimeSpan.Zero || FileCheckFrequency <= TimeSpan.Zero || EvictionMonitoringInterval <= TimeSpan.Zero
            || EvictionPressureTransitionPeriod < TimeSpan.Zero || EvictionMaxPodGracePeriodSeconds < 0
            || ContainerLogMaxSize <= 0 || ContainerLogMaxFiles < 2 || ContainerLogMonitorInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("NodeAgentOptions: MaxPods, LeaseDurationSeconds, ContainerLogMaxSize and the intervals must be positive, ContainerLogMaxFiles at least 2, and BackoffMax at least BackoffInitial");
        }
    }
}
