using System.Globalization;
using k8s.Models;

namespace Kube.Controllers.BuiltIn.Deployment;

/// <summary>The pure arithmetic of rolling updates, as upstream's deployment util.</summary>
internal static class DeploymentMath
{
    /// <summary>The default of maxSurge and maxUnavailable when unset.</summary>
    public const string DefaultRollingParameter = "25%";

    /// <summary>
    /// An int-or-percent resolved against <paramref name="total"/>: "25%" of 10 is 3 when rounding up, 2 when rounding down.
    /// </summary>
    public static int Scaled(string? value, int total, bool roundUp)
    {
        if (string.IsNullOrEmpty(value)) return 0;
        if (value.EndsWith('%'))
        {
            if (!int.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pct))
                throw new FormatException($"invalid value for IntOrString: invalid value \"{value}\"");
            var exact = (long)pct * total;
            return (int)(roundUp ? (exact + 99) / 100 : exact / 100);
        }

        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"invalid value for IntOrString: invalid value \"{value}\"");
    }

    /// <summary>
    /// maxSurge (rounded up) and maxUnavailable (rounded down) for <paramref name="replicas"/>; when both come to 0,
    /// maxUnavailable is 1 so that a rollout can progress (upstream's ResolveFenceposts).
    /// </summary>
    public static (int MaxSurge, int MaxUnavailable) ResolveFenceposts(string? maxSurge, string? maxUnavailable, int replicas)
    {
        var surge = Scaled(maxSurge ?? DefaultRollingParameter, replicas, roundUp: true);
        var unavailable = Scaled(maxUnavailable ?? DefaultRollingParameter, replicas, roundUp: false);
        if (surge == 0 && unavailable == 0) unavailable = 1;
        return (surge, unavailable);
    }

    /// <summary>
    /// The replicas the new ReplicaSet may have now: up to <paramref name="replicas"/>, while all ReplicaSets together stay
    /// within replicas + maxSurge.
    /// </summary>
    public static int NewReplicaSetReplicas(int replicas, int maxSurge, int currentTotal, int newCurrent)
    {
        var maxTotal = replicas + maxSurge;
        if (currentTotal >= maxTotal) return newCurrent;
        var scaleUp = Math.Min(maxTotal - currentTotal, replicas - newCurrent);
        return newCurrent + Math.Max(scaleUp, 0);
    }

    /// <summary>
    /// How many old replicas may be removed now: all replicas minus the minimum available, minus the new ReplicaSet's
    /// pods that are not available yet.
    /// </summary>
    public static int MaxScaledDown(int allReplicas, int replicas, int maxUnavailable, int newSpecReplicas, int newAvailable) =>
        allReplicas - (replicas - maxUnavailable) - (newSpecReplicas - newAvailable);

    /// <summary>Reads an int-or-string as its string form.</summary>
    public static string? Text(IntOrString? value) => value?.Value;
}
