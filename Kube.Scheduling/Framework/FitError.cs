using System.Globalization;

namespace Kube.Scheduling.Framework;

/// <summary>Upstream's FitError message: <c>0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.</c></summary>
public static class FitError
{
    /// <summary>The message when the cluster has no nodes at all.</summary>
    public const string NoNodesAvailable = "no nodes available to schedule pods";

    /// <summary>
    /// Builds the message: the PreFilter rejection when there was one; otherwise a histogram of every node's reasons,
    /// each as "count reason", sorted as strings (as upstream's sort.Strings) and joined with ", "; then the PostFilter message.
    /// </summary>
    public static string Message(int numAllNodes, Status? preFilterStatus, IReadOnlyDictionary<string, Status> nodeStatuses, string? postFilterMessage = null)
    {
        ArgumentNullException.ThrowIfNull(nodeStatuses);
        if (numAllNodes == 0 && preFilterStatus is null) return NoNodesAvailable;
        var msg = string.Create(CultureInfo.InvariantCulture, $"0/{numAllNodes} nodes are available:");
        if (preFilterStatus is { Reasons.Count: > 0 })
        {
            msg += $" {preFilterStatus.Message}.";
        }
        else
        {
            // Counted per node of a failed cycle (thousands): indexed loops and one lookup per reason.
            var histogram = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var s in nodeStatuses.Values)
            {
                var reasons = s.Reasons;
                for (var i = 0; i < reasons.Count; i++)
                    System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(histogram, reasons[i], out _)++;
            }

            var parts = histogram.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Value} {kv.Key}")).ToList();
            parts.Sort(StringComparer.Ordinal);
            if (parts.Count > 0) msg += $" {string.Join(", ", parts)}.";
        }

        if (!string.IsNullOrEmpty(postFilterMessage)) msg += $" {postFilterMessage.TrimEnd('.')}.";
        return msg;
    }
}
