using k8s.Models;

namespace Kube.Controllers.BuiltIn.Job;

/// <summary>Upstream's matchPodFailurePolicy: the first rule matching a failed pod decides its action.</summary>
internal static class PodFailurePolicyEvaluator
{
    public const string FailJob = "FailJob";
    public const string Ignore = "Ignore";
    public const string Count = "Count";
    public const string FailIndex = "FailIndex";

    /// <summary>The action of the first matching rule and its message, or null when no rule matches (the failure counts).</summary>
    public static (string Action, string Message)? Match(V1PodFailurePolicy? policy, V1Pod pod)
    {
        if (policy?.Rules is null || pod.Status?.Phase != "Failed") return null;
        for (var i = 0; i < policy.Rules.Count; i++)
        {
            var rule = policy.Rules[i];
            if (rule.OnExitCodes is { } codes)
            {
                foreach (var s in (pod.Status.InitContainerStatuses ?? []).Concat(pod.Status.ContainerStatuses ?? []))
                {
                    if (codes.ContainerName is { Length: > 0 } name && name != s.Name) continue;
                    if (s.State?.Terminated is not { } t || t.ExitCode == 0) continue;
                    var listed = codes.Values?.Contains(t.ExitCode) == true;
                    if (codes.OperatorProperty == "In" ? listed : !listed)
                        return (rule.Action, $"Container {s.Name} for pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} failed with exit code {t.ExitCode} matching {rule.Action} rule at index {i}");
                }
            }

            if (rule.OnPodConditions is { Count: > 0 } conditions)
            {
                foreach (var pattern in conditions)
                {
                    var c = pod.Status.Conditions?.FirstOrDefault(c => c.Type == pattern.Type);
                    if (c is not null && c.Status == (string.IsNullOrEmpty(pattern.Status) ? "True" : pattern.Status))
                        return (rule.Action, $"Pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} has condition {c.Type} matching {rule.Action} rule at index {i}");
                }
            }
        }

        return null;
    }
}
