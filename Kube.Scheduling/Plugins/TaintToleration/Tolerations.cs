using k8s.Models;

namespace Kube.Scheduling.Plugins.TaintToleration;

/// <summary>Toleration matching as core/v1 defines it.</summary>
public static class Tolerations
{
    /// <summary>
    /// True when <paramref name="toleration"/> tolerates <paramref name="taint"/>: the effect matches (an empty effect
    /// matches all), and either the operator is Exists (an empty key matches every key) or the key and value are equal.
    /// </summary>
    public static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        ArgumentNullException.ThrowIfNull(toleration);
        ArgumentNullException.ThrowIfNull(taint);
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect) return false;
        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key) return false;
        return toleration.OperatorProperty switch
        {
            "Exists" => true,
            null or "" or "Equal" => !string.IsNullOrEmpty(toleration.Key) && (toleration.Value ?? "") == (taint.Value ?? ""),
            _ => false,
        };
    }

    public static bool Tolerates(IEnumerable<V1Toleration>? tolerations, V1Taint taint) =>
        tolerations?.Any(t => Tolerates(t, taint)) == true;
}
