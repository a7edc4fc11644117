using System.Globalization;
using k8s.Models;

namespace Kube.Node.Agent;

/// <summary>Builds the agent's Node object and its status (pure: the clock's reading is passed in).</summary>
internal sealed class NodeStatusBuilder(NodeAgentOptions options, string runtimeName, string runtimeVersion)
{
    public const string KubeletVersion = "v1.32.0";

    private static readonly (string Condition, string TaintKey)[] PressureTaints =
    [
        ("MemoryPressure", "node.kubernetes.io/memory-pressure"),
        ("DiskPressure", "node.kubernetes.io/disk-pressure"),
    ];

    /// <summary>The advertised kubelet port (status.daemonEndpoints). Default 10250.</summary>
    public int KubeletPort { get; set; } = 10250;

    private readonly long _memory = options.MemoryCapacityBytes ?? MachineInfo.MemoryBytes();
    private readonly string _kernel = MachineInfo.KernelVersion();
    private readonly string _osImage = MachineInfo.OsImage();
    private readonly string _machineId = MachineInfo.MachineId();
    private readonly string _bootId = MachineInfo.BootId();
    private readonly string _arch = MachineInfo.Architecture();

    /// <summary>The pressure conditions to report True (MemoryPressure, DiskPressure); read at each status build.</summary>
    public Func<IReadOnlySet<string>>? Pressure { get; set; }

    /// <summary>A new Node with metadata and spec (status is posted separately).</summary>
    public V1Node NewNode()
    {
        var node = new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = options.NodeName }, Spec = new V1NodeSpec() };
        ApplyMetadataAndSpec(node);
        return node;
    }

    /// <summary>Sets the labels and spec fields the agent owns; returns whether anything changed.</summary>
    public bool ApplyMetadataAndSpec(V1Node node)
    {
        var changed = false;
        node.Metadata.Labels ??= new Dictionary<string, string>();
        var labels = new Dictionary<string, string>(options.Labels)
        {
            ["kubernetes.io/hostname"] = options.NodeName,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = _arch,
            ["beta.kubernetes.io/os"] = "linux",
            ["beta.kubernetes.io/arch"] = _arch,
        };
        foreach (var (k, v) in labels)
        {
            if (!node.Metadata.Labels.TryGetValue(k, out var old) || old != v)
            {
                node.Metadata.Labels[k] = v;
                changed = true;
            }
        }

        node.Spec ??= new V1NodeSpec();
        var cidr = options.EffectivePodCidr;
        if (node.Spec.PodCIDR != cidr)
        {
            node.Spec.PodCIDR = cidr;
            node.Spec.PodCIDRs = [cidr];
            changed = true;
        }

        if (options.Taints.Count > 0 && (node.Spec.Taints is null || node.Spec.Taints.Count == 0))
        {
            node.Spec.Taints = [.. options.Taints];
            changed = true;
        }

        // The node lifecycle controller's TaintNodesByCondition, for the conditions this agent owns.
        var pressure = Pressure?.Invoke() ?? new HashSet<string>();
        foreach (var (condition, key) in PressureTaints)
        {
            var has = node.Spec.Taints?.Any(t => t.Key == key && t.Effect == "NoSchedule") == true;
            if (pressure.Contains(condition) && !has)
            {
                node.Spec.Taints ??= [];
                node.Spec.Taints.Add(new V1Taint { Key = key, Effect = "NoSchedule" });
                changed = true;
            }
            else if (!pressure.Contains(condition) && has)
            {
                node.Spec.Taints = node.Spec.Taints!.Where(t => !(t.Key == key && t.Effect == "NoSchedule")).ToList();
                changed = true;
            }
        }

        return changed;
    }

    /// <summary>The status to post: capacity, addresses, nodeInfo and conditions with heartbeats at <paramref name="now"/>.</summary>
    public V1NodeStatus BuildStatus(V1NodeStatus? previous, DateTime now)
    {
        var cpu = options.CpuCapacity ?? Environment.ProcessorCount;
        var capacity = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(cpu.ToString(CultureInfo.InvariantCulture)),
            ["memory"] = new((_memory / 1024).ToString(CultureInfo.InvariantCulture) + "Ki"),
            ["pods"] = new(options.MaxPods.ToString(CultureInfo.InvariantCulture)),
        };
        var pressure = Pressure?.Invoke() ?? new HashSet<string>();
        return new V1NodeStatus
        {
            Capacity = capacity,
            Allocatable = new Dictionary<string, ResourceQuantity>(capacity),
            Addresses =
            [
                new V1NodeAddress { Type = "InternalIP", Address = "127.0.0.1" },
                new V1NodeAddress { Type = "Hostname", Address = options.NodeName },
            ],
            NodeInfo = new V1NodeSystemInfo
            {
                MachineID = _machineId,
                SystemUUID = _machineId,
                BootID = _bootId,
                KernelVersion = _kernel,
                OsImage = _osImage,
                ContainerRuntimeVersion = $"{runtimeName}://{runtimeVersion}",
                KubeletVersion = KubeletVersion,
                KubeProxyVersion = KubeletVersion,
                OperatingSystem = "linux",
                Architecture = _arch,
            },
            Conditions =
            [
                pressure.Contains("MemoryPressure")
                    ? Condition(previous, "MemoryPressure", "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available", now)
                    : Condition(previous, "MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now),
                pressure.Contains("DiskPressure")
                    ? Condition(previous, "DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure", now)
                    : Condition(previous, "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now),
                Condition(previous, "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now),
                Condition(previous, "Ready", "True", "KubeletReady", "kubelet is posting ready status", now),
            ],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = KubeletPort } },
            Images = previous?.Images,
        };
    }

    private static V1NodeCondition Condition(V1NodeStatus? previous, string type, string status, string reason, string message, DateTime now)
    {
        var old = previous?.Conditions?.FirstOrDefault(c => c.Type == type);
        return new V1NodeCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            LastHeartbeatTime = now,
            LastTransitionTime = old is not null && old.Status == status && old.LastTransitionTime is { } t ? t : now,
        };
    }
}
