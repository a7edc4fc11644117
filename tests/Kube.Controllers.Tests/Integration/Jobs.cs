using k8s.Models;
using Kube.Core.Client;

namespace Kube.Controllers.Tests.Integration;

/// <summary>Job manifests and a stand-in kubelet that finishes their pods.</summary>
internal static class Jobs
{
    public static V1Job Job(string name, int? completions = 1, int? parallelism = 1, int? backoffLimit = null, string? mode = null,
        string restartPolicy = "Never", bool suspend = false) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1JobSpec
        {
            Completions = completions,
            Parallelism = parallelism,
            BackoffLimit = backoffLimit,
            CompletionMode = mode,
            Suspend = suspend,
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { RestartPolicy = restartPolicy, Containers = [new V1Container { Name = "main", Image = "busybox:1" }] },
            },
        },
    };

    public static V1JobCondition? Condition(V1Job job, string type) => job.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    public static bool HasCondition(V1Job job, string type, string reason) =>
        Condition(job, type) is { Status: "True" } c && c.Reason == reason;

    /// <summary>Live (not terminal, not deleting) pods of the Job's app label.</summary>
    public static async Task<List<V1Pod>> ActivePodsAsync(ControllerCluster cluster, string app) =>
        (await cluster.PodsAsync("app=" + app)).Where(Workloads.IsActive).ToList();

    /// <summary>Plays the kubelet: the pod's container exits with <paramref name="exitCode"/> at <paramref name="at"/>.</summary>
    public static async Task FinishAsync(IKubeClient client, V1Pod pod, int exitCode, DateTime? at = null)
    {
        var when = at ?? DateTime.UtcNow;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = await client.GetAsync<V1Pod>(pod.Metadata.Name, pod.Metadata.NamespaceProperty);
            current.Status ??= new V1PodStatus();
            current.Status.Phase = exitCode == 0 ? "Succeeded" : "Failed";
            current.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "False", LastTransitionTime = when }];
            current.Status.ContainerStatuses =
            [
                new V1ContainerStatus
                {
                    Name = "main", Image = "busybox:1", ImageID = "", Ready = false, RestartCount = 0,
                    State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = exitCode, FinishedAt = when, Reason = exitCode == 0 ? "Completed" : "Error" } },
                },
            ];
            try
            {
                await client.UpdateStatusAsync(current);
                return;
            }
            catch (ConflictException)
            {
            }
        }

        Assert.Fail($"could not finish pod {pod.Metadata.Name}");
    }

    public static Task<V1Job> GetAsync(ControllerCluster cluster, string name) => cluster.Client.GetAsync<V1Job>(name, "default");
}
