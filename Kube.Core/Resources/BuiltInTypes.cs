using k8s.Models;

namespace Kube.Core.Resources;

/// <summary>The built-in kinds, with upstream's scope, short names, categories and subresources.</summary>
public static class BuiltInTypes
{
    private static readonly string[] All_ = ["all"];

    public static IReadOnlyList<ResourceType> All { get; } =
    [
        // core/v1
        Ns<V1Pod>(["po"], All_, ["status", "binding", "eviction", "log", "exec", "attach", "portforward", "ephemeralcontainers"]),
        Cluster<V1Node>(["no"], null, ["status"]),
        Cluster<V1Namespace>(["ns"], null, ["status", "finalize"]),
        Ns<V1Service>(["svc"], All_, ["status"]),
        Ns<V1Endpoints>(["ep"]),
        Ns<V1ConfigMap>(["cm"]),
        Ns<V1Secret>(),
        Ns<V1ServiceAccount>(["sa"], null, ["token"]),
        Cluster<V1PersistentVolume>(["pv"], null, ["status"]),
        Ns<V1PersistentVolumeClaim>(["pvc"], null, ["status"]),
        Ns<V1ResourceQuota>(["quota"], null, ["status"]),
        Ns<V1LimitRange>(["limits"]),
        Ns<Corev1Event>(["ev"]),
        // apps/v1
        Ns<V1Deployment>(["deploy"], All_, ["status", "scale"]),
        Ns<V1ReplicaSet>(["rs"], All_, ["status", "scale"]),
        Ns<V1StatefulSet>(["sts"], All_, ["status", "scale"]),
        Ns<V1DaemonSet>(["ds"], All_, ["status"]),
        Ns<V1ControllerRevision>(),
        // batch/v1
        Ns<V1Job>(null, All_, ["status"]),
        Ns<V1CronJob>(["cj"], All_, ["status"]),
        // autoscaling
        Ns<V2HorizontalPodAutoscaler>(["hpa"], All_, ["status"]),
        Ns<V1HorizontalPodAutoscaler>(["hpa"], All_, ["status"]),
        // networking.k8s.io/v1
        Ns<V1Ingress>(["ing"], null, ["status"]),
        Cluster<V1IngressClass>(),
        Ns<V1NetworkPolicy>(["netpol"]),
        // storage.k8s.io/v1
        Cluster<V1StorageClass>(["sc"]),
        Cluster<V1CSIDriver>(),
        // rbac.authorization.k8s.io/v1
        Ns<V1Role>(),
        Cluster<V1ClusterRole>(),
        Ns<V1RoleBinding>(),
        Cluster<V1ClusterRoleBinding>(),
        // others
        Ns<V1Lease>(),
        Ns<V1EndpointSlice>(),
        Ns<Eventsv1Event>(["ev"]),
        Ns<V1PodDisruptionBudget>(["pdb"], null, ["status"]),
        Cluster<V1PriorityClass>(["pc"]),
        Cluster<V1CustomResourceDefinition>(["crd", "crds"], null, ["status"]),
        Cluster<V1ValidatingWebhookConfiguration>(),
        Cluster<V1MutatingWebhookConfiguration>(),
    ];

    private static ResourceType Ns<T>(string[]? shortNames = null, string[]? categories = null, string[]? subresources = null) =>
        ResourceTypeRegistry.FromModel(typeof(T), true, shortNames, categories, subresources);

    private static ResourceType Cluster<T>(string[]? shortNames = null, string[]? categories = null, string[]? subresources = null) =>
        ResourceTypeRegistry.FromModel(typeof(T), false, shortNames, categories, subresources);
}
