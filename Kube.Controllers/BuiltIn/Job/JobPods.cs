using System.Globalization;
using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Core.Helpers;

namespace Kube.Controllers.BuiltIn.Job;

/// <summary>How the Job controller builds and reads its pods.</summary>
internal static class JobPods
{
    /// <summary>Upstream caps generateName prefixes so that the random suffix still fits in a name.</summary>
    private const int MaxGeneratedNamePrefix = 58;

    /// <summary>The pod a Job creates from its template; <paramref name="index"/> is the completion index in Indexed mode.</summary>
    public static V1Pod NewPod(V1Job job, int? index)
    {
        var template = job.Spec?.Template ?? throw new InvalidOperationException($"Job {job.Metadata.Name} has no pod template.");
        var copy = ObjectCopy.Clone(template);
        var labels = copy.Metadata?.Labels is { } l ? new Dictionary<string, string>(l) : new Dictionary<string, string>();
        labels.TryAdd(JobConstants.ControllerUidLabel, job.Metadata.Uid);
        labels.TryAdd(JobConstants.JobNameLabel, job.Metadata.Name);
        var annotations = copy.Metadata?.Annotations is { } a ? new Dictionary<string, string>(a) : null;
        var finalizers = copy.Metadata?.Finalizers?.ToList() ?? [];
        if (!finalizers.Contains(JobConstants.TrackingFinalizer)) finalizers.Add(JobConstants.TrackingFinalizer);
        var spec = copy.Spec;
        var generateName = job.Metadata.Name + "-";
        if (index is { } i)
        {
            var text = i.ToString(CultureInfo.InvariantCulture);
            annotations ??= [];
            annotations[JobConstants.CompletionIndexAnnotation] = text;
            labels[JobConstants.CompletionIndexLabel] = text;
            var prefix = job.Metadata.Name;
            if (prefix.Length + text.Length + 2 > MaxGeneratedNamePrefix) prefix = prefix[..Math.Max(0, MaxGeneratedNamePrefix - text.Length - 2)];
            generateName = $"{prefix}-{text}-";
            if (string.IsNullOrEmpty(spec.Hostname)) spec.Hostname = $"{prefix}-{text}";
            foreach (var c in (spec.InitContainers ?? []).Concat(spec.Containers ?? []))
            {
                c.Env ??= new List<V1EnvVar>();
                if (c.Env.Any(e => e.Name == JobConstants.CompletionIndexEnv)) continue;
                c.Env.Add(new V1EnvVar
                {
                    Name = JobConstants.CompletionIndexEnv,
                    ValueFrom = new V1EnvVarSource
                    {
                        FieldRef = new V1ObjectFieldSelector { FieldPath = $"metadata.annotations['{JobConstants.CompletionIndexAnnotation}']" },
                    },
                });
            }
        }

        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = generateName,
                NamespaceProperty = job.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = annotations,
                Finalizers = finalizers,
                OwnerReferences = [OwnerReferences.NewControllerRef(job)],
            },
            Spec = spec,
        };
    }

    /// <summary>The completion index of a pod of an Indexed Job (annotation, else label), or null.</summary>
    public static int? IndexOf(V1Pod pod)
    {
        string? text = null;
        if (pod.Metadata.Annotations?.TryGetValue(JobConstants.CompletionIndexAnnotation, out var a) == true) text = a;
        else if (pod.Metadata.Labels?.TryGetValue(JobConstants.CompletionIndexLabel, out var l) == true) text = l;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;
    }

    public static bool HasTrackingFinalizer(V1Pod pod) => pod.Metadata.Finalizers?.Contains(JobConstants.TrackingFinalizer) == true;

    public static bool IsSucceeded(V1Pod pod) => pod.Status?.Phase == "Succeeded";

    /// <summary>
    /// Upstream's isPodFailed: the Failed phase; and, unless the Job has a podFailurePolicy or replaces pods only once
    /// Failed, a pod being deleted before it succeeded.
    /// </summary>
    public static bool IsFailed(V1Pod pod, V1Job job)
    {
        if (pod.Status?.Phase == "Failed") return true;
        if (job.Spec?.PodFailurePolicy is not null || job.Spec?.PodReplacementPolicy == "Failed") return false;
        return pod.Metadata.DeletionTimestamp is not null && pod.Status?.Phase != "Succeeded";
    }

    /// <summary>Not Succeeded, not Failed, and not being deleted.</summary>
    public static bool IsActive(V1Pod pod) => PodUtil.IsActive(pod);

    /// <summary>Being deleted but not terminal yet.</summary>
    public static bool IsTerminating(V1Pod pod) =>
        pod.Metadata.DeletionTimestamp is not null && pod.Status?.Phase is not ("Succeeded" or "Failed");

    /// <summary>When a finished pod finished: its containers' latest finishedAt, else its Ready condition's last change, else its creation.</summary>
    public static DateTimeOffset FinishedAt(V1Pod pod)
    {
        DateTime? latest = null;
        foreach (var s in pod.Status?.ContainerStatuses ?? [])
        {
            if (s.State?.Terminated?.FinishedAt is { } f && (latest is null || f > latest)) latest = f;
        }

        latest ??= pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.LastTransitionTime
            ?? pod.Metadata.DeletionTimestamp
            ?? pod.Metadata.CreationTimestamp;
        return latest is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.MinValue;
    }

    /// <summary>Container restarts of a pod (counted against backoffLimit for restartPolicy OnFailure).</summary>
    public static int Restarts(V1Pod pod) =>
        (pod.Status?.ContainerStatuses ?? []).Sum(s => s.RestartCount) + (pod.Status?.InitContainerStatuses ?? []).Sum(s => s.RestartCount);
}
