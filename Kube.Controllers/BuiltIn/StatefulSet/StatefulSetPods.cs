using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Core.Helpers;

namespace Kube.Controllers.BuiltIn.StatefulSet;

/// <summary>Identity of a StatefulSet's pods: ordinal names, revision labels, stable hostnames and per-ordinal claims.</summary>
internal static partial class StatefulSetPods
{
    public const string RevisionLabel = "controller-revision-hash";
    public const string PodNameLabel = "statefulset.kubernetes.io/pod-name";
    public const string PodIndexLabel = "apps.kubernetes.io/pod-index";

    public static string PodName(V1StatefulSet set, int ordinal) => $"{set.Metadata.Name}-{ordinal.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The ordinal of a pod named <c>&lt;set&gt;-&lt;n&gt;</c>, or null for any other name.</summary>
    public static int? OrdinalOf(V1StatefulSet set, V1Pod pod)
    {
        var m = OrdinalPattern().Match(pod.Metadata.Name ?? "");
        if (!m.Success || m.Groups[1].Value != set.Metadata.Name) return null;
        return int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    public static string ClaimName(V1PersistentVolumeClaim template, V1StatefulSet set, int ordinal) =>
        $"{template.Metadata.Name}-{PodName(set, ordinal)}";

    public static string? RevisionOf(V1Pod pod) =>
        pod.Metadata.Labels?.TryGetValue(RevisionLabel, out var r) == true ? r : null;

    /// <summary>The pod of <paramref name="ordinal"/> built from <paramref name="template"/> of revision <paramref name="revision"/>.</summary>
    public static V1Pod NewPod(V1StatefulSet set, V1PodTemplateSpec template, string revision, int ordinal)
    {
        var copy = ObjectCopy.Clone(template);
        var name = PodName(set, ordinal);
        var labels = copy.Metadata?.Labels is { } l ? new Dictionary<string, string>(l) : new Dictionary<string, string>();
        labels[PodNameLabel] = name;
        labels[PodIndexLabel] = ordinal.ToString(CultureInfo.InvariantCulture);
        labels[RevisionLabel] = revision;
        var spec = copy.Spec;
        spec.Hostname = name;
        if (!string.IsNullOrEmpty(set.Spec.ServiceName)) spec.Subdomain = set.Spec.ServiceName;
        foreach (var claim in set.Spec.VolumeClaimTemplates ?? [])
        {
            spec.Volumes ??= new List<V1Volume>();
            var existing = spec.Volumes.FirstOrDefault(v => v.Name == claim.Metadata.Name);
            if (existing is not null) spec.Volumes.Remove(existing);
            spec.Volumes.Add(new V1Volume
            {
                Name = claim.Metadata.Name,
                PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = ClaimName(claim, set, ordinal) },
            });
        }

        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = set.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = copy.Metadata?.Annotations,
                OwnerReferences = [OwnerReferences.NewControllerRef(set)],
            },
            Spec = spec,
        };
    }

    /// <summary>The claim of <paramref name="ordinal"/> for a volumeClaimTemplate, labelled with the set's selector labels.</summary>
    public static V1PersistentVolumeClaim NewClaim(V1StatefulSet set, V1PersistentVolumeClaim template, int ordinal)
    {
        var copy = ObjectCopy.Clone(template);
        var labels = copy.Metadata?.Labels is { } l ? new Dictionary<string, string>(l) : new Dictionary<string, string>();
        foreach (var (k, v) in set.Spec.Selector?.MatchLabels ?? new Dictionary<string, string>()) labels[k] = v;
        return new V1PersistentVolumeClaim
        {
            ApiVersion = "v1",
            Kind = "PersistentVolumeClaim",
            Metadata = new V1ObjectMeta
            {
                Name = ClaimName(template, set, ordinal),
                NamespaceProperty = set.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = copy.Metadata?.Annotations,
            },
            Spec = copy.Spec,
        };
    }

    /// <summary>Running and Ready (and not being deleted): the OrderedReady gate.</summary>
    public static bool IsRunningAndReady(V1Pod pod) =>
        pod.Metadata.DeletionTimestamp is null && pod.Status?.Phase == "Running" && PodUtil.IsReady(pod);

    public static bool IsTerminated(V1Pod pod) => pod.Status?.Phase is "Succeeded" or "Failed";

    [GeneratedRegex(@"^(.*)-([0-9]+)$")]
    private static partial Regex OrdinalPattern();
}
