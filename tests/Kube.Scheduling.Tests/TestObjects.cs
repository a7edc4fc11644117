using k8s.Models;

namespace Kube.Scheduling.Tests;

/// <summary>Builders of nodes and pods for scheduler tests.</summary>
internal static class TestObjects
{
    public static V1Node Node(string name, string cpu = "4", string memory = "8Gi", string pods = "110", bool unschedulable = false, params V1Taint[] taints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Uid = "node-" + name },
        Spec = new V1NodeSpec { Unschedulable = unschedulable, Taints = taints.Length == 0 ? null : taints.ToList() },
        Status = new V1NodeStatus
        {
            Allocatable = new Dictionary<string, ResourceQuantity>
            {
                ["cpu"] = new(cpu),
                ["memory"] = new(memory),
                ["pods"] = new(pods),
            },
        },
    };

    public static V1Pod Pod(string name, string? cpu = null, string? memory = null, int? priority = null, string? nodeName = null, params V1Toleration[] tolerations)
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        if (cpu is not null) requests["cpu"] = new ResourceQuantity(cpu);
        if (memory is not null) requests["memory"] = new ResourceQuantity(memory);
        return new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = "uid-" + name },
            Spec = new V1PodSpec
            {
                NodeName = nodeName,
                Priority = priority,
                Tolerations = tolerations.Length == 0 ? null : tolerations.ToList(),
                Containers = [new V1Container { Name = "c", Image = "busybox", Resources = new V1ResourceRequirements { Requests = requests } }],
            },
        };
    }

    public static V1Taint Taint(string key, string value, string effect) => new() { Key = key, Value = value, Effect = effect };
}
