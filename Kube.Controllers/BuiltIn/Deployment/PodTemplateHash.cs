using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;

namespace Kube.Controllers.BuiltIn.Deployment;

/// <summary>
/// The <c>pod-template-hash</c> of a pod template: a 32-bit FNV-1a hash of the template's JSON (plus the collision
/// count, when set), written with the consonant-and-digit alphabet upstream uses so that it never spells words.
/// </summary>
internal static class PodTemplateHash
{
    /// <summary>The label and selector key that ties a ReplicaSet and its pods to one template.</summary>
    public const string Label = "pod-template-hash";

    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Compute(V1PodTemplateSpec? template, int? collisionCount)
    {
        var json = KubernetesJson.Serialize(Normalize(template));
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(json)) hash = (hash ^ b) * 16777619u;
        if (collisionCount is { } c)
            foreach (var b in BitConverter.GetBytes((uint)c)) hash = (hash ^ b) * 16777619u;
        var digits = hash.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder(digits.Length);
        foreach (var ch in digits) sb.Append(Alphabet[ch % Alphabet.Length]);
        return sb.ToString();
    }

    /// <summary>The template without its pod-template-hash label, so that a ReplicaSet's template compares equal to its Deployment's.</summary>
    public static V1PodTemplateSpec Normalize(V1PodTemplateSpec? template)
    {
        var copy = template is null ? new V1PodTemplateSpec() : Internal.ObjectCopy.Clone(template);
        if (copy.Metadata?.Labels is { } labels)
        {
            labels.Remove(Label);
            copy.Metadata.Labels = labels.Count == 0 ? null : Sorted(labels);
        }

        if (copy.Metadata?.Annotations is { Count: > 0 } annotations) copy.Metadata.Annotations = Sorted(annotations);

        return copy;
    }

    private static Dictionary<string, string> Sorted(IDictionary<string, string> map) =>
        map.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>True when two templates are equal apart from the pod-template-hash label.</summary>
    public static bool EqualIgnoringHash(V1PodTemplateSpec? a, V1PodTemplateSpec? b) =>
        KubernetesJson.Serialize(Normalize(a)) == KubernetesJson.Serialize(Normalize(b));
}
