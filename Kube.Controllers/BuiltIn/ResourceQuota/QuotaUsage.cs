using k8s.Models;

namespace Kube.Controllers.BuiltIn.ResourceQuota;

/// <summary>Upstream's quota evaluators for the core kinds: what a pod, service or claim charges against each resource name.</summary>
internal static class QuotaUsage
{
    private static readonly string[] ComputeResources = ["cpu", "memory", "ephemeral-storage"];

    /// <summary>Pods still count while not Succeeded or Failed.</summary>
    public static bool Counts(V1Pod pod) => pod.Status?.Phase is not ("Succeeded" or "Failed");

    /// <summary>requests.* (and the bare cpu/memory/ephemeral-storage) and limits.* of a pod: max(sum of containers, largest init container) plus overhead.</summary>
    public static Dictionary<string, decimal> Pod(V1Pod pod)
    {
        var usage = new Dictionary<string, decimal>(StringComparer.Ordinal) { ["pods"] = 1, ["count/pods"] = 1 };
        foreach (var kind in new[] { "requests", "limits" })
        {
            foreach (var r in ComputeResources)
            {
                decimal sum = 0, init = 0;
                foreach (var c in pod.Spec?.Containers ?? []) sum += Get(kind == "requests" ? c.Resources?.Requests : c.Resources?.Limits, r);
                foreach (var c in pod.Spec?.InitContainers ?? []) init = Math.Max(init, Get(kind == "requests" ? c.Resources?.Requests : c.Resources?.Limits, r));
                var total = Math.Max(sum, init) + Get(pod.Spec?.Overhead, r);
                usage[$"{kind}.{r}"] = total;
                if (kind == "requests") usage[r] = total;
            }
        }

        return usage;
    }

    public static Dictionary<string, decimal> Service(V1Service svc)
    {
        var type = svc.Spec?.Type ?? "ClusterIP";
        var nodePorts = type is "NodePort" or "LoadBalancer" ? svc.Spec?.Ports?.Count ?? 0 : 0;
        return new Dictionary<string, decimal>(StringComparer.Ordinal)
        {
            ["services"] = 1,
            ["count/services"] = 1,
            ["services.nodeports"] = nodePorts,
            ["services.loadbalancers"] = type == "LoadBalancer" ? 1 : 0,
        };
    }

    public static Dictionary<string, decimal> Claim(V1PersistentVolumeClaim pvc)
    {
        var storage = Get(pvc.Spec?.Resources?.Requests, "storage");
        var usage = new Dictionary<string, decimal>(StringComparer.Ordinal)
        {
            ["persistentvolumeclaims"] = 1,
            ["count/persistentvolumeclaims"] = 1,
            ["requests.storage"] = storage,
        };
        if (pvc.Spec?.StorageClassName is { Length: > 0 } sc)
        {
            usage[$"{sc}.storageclass.storage.k8s.io/requests.storage"] = storage;
            usage[$"{sc}.storageclass.storage.k8s.io/persistentvolumeclaims"] = 1;
        }

        return usage;
    }

    private static decimal Get(IDictionary<string, ResourceQuantity>? map, string name) =>
        map is not null && map.TryGetValue(name, out var q) && q is not null ? q.ToDecimal() : 0;
}
