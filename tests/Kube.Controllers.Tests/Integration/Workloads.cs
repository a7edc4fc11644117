using k8s.Models;

namespace Kube.Controllers.Tests.Integration;

internal static class Workloads
{
    public static V1PodTemplateSpec Template(string app, string image) => new()
    {
        Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = app } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = image }] },
    };

    public static V1Deployment Deployment(string name, int replicas, string image, string? maxSurge = null, string? maxUnavailable = null, string strategy = "RollingUpdate") => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = Template(name, image),
            Strategy = strategy == "Recreate"
                ? new V1DeploymentStrategy { Type = "Recreate" }
                : new V1DeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new V1RollingUpdateDeployment
                    {
                        MaxSurge = maxSurge is null ? null : (IntOrString)maxSurge,
                        MaxUnavailable = maxUnavailable is null ? null : (IntOrString)maxUnavailable,
                    },
                },
        },
    };

    public static V1ReplicaSet ReplicaSet(string name, int replicas, string app) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "ReplicaSet",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = app } },
        Spec = new V1ReplicaSetSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = app } },
            Template = Template(app, "busybox:1"),
        },
    };

    public static V1Pod Pod(string name, string app) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = app } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox:1" }] },
    };

    public static bool IsActive(V1Pod p) => p.Metadata.DeletionTimestamp is null && p.Status?.Phase is not ("Succeeded" or "Failed");
}
