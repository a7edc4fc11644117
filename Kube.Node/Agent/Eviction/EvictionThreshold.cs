using System.Globalization;
using k8s.Models;

namespace Kube.Node.Agent.Eviction;

/// <summary>
/// One eviction threshold, as KubeletConfiguration's evictionHard/evictionSoft give it: a signal (memory.available,
/// nodefs.available, nodefs.inodesFree, imagefs.available, imagefs.inodesFree) below a quantity ("100Mi", "1000") or a
/// percentage of capacity ("10%"). Soft thresholds act only after being met for their grace period.
/// </summary>
internal sealed record EvictionThreshold(string Signal, ulong? Quantity, double? Percentage, TimeSpan? GracePeriod)
{
    public static readonly IReadOnlyList<string> Signals =
        ["memory.available", "nodefs.available", "nodefs.inodesFree", "imagefs.available", "imagefs.inodesFree"];

    public bool IsHard => GracePeriod is null;

    /// <summary>The resource the signal is about, as upstream names it in messages: memory, ephemeral-storage or inodes.</summary>
    public string Resource => Signal switch
    {
        "memory.available" => "memory",
        "nodefs.inodesFree" or "imagefs.inodesFree" => "inodes",
        _ => "ephemeral-storage",
    };

    /// <summary>The node condition the signal drives: MemoryPressure or DiskPressure.</summary>
    public string Condition => Signal == "memory.available" ? "MemoryPressure" : "DiskPressure";

    /// <summary>The threshold in units of the signal, for a resource of <paramref name="capacity"/>.</summary>
    public ulong Value(ulong capacity) => Quantity ?? (ulong)Math.Ceiling(capacity * Percentage!.Value / 100.0);

    /// <summary>Parses one entry of evictionHard/evictionSoft; throws <see cref="ArgumentException"/> naming the field.</summary>
    public static EvictionThreshold Parse(string field, string signal, string value, TimeSpan? gracePeriod)
    {
        if (!Signals.Contains(signal))
        {
            throw new ArgumentException($"{field}: unknown eviction signal \"{signal}\" (known: {string.Join(", ", Signals)})");
        }

        value = value.Trim();
        if (value.EndsWith('%'))
        {
            if (!double.TryParse(value[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) || percent < 0 || percent > 100)
            {
                throw new ArgumentException($"{field}: {signal} \"{value}\" must be a percentage between 0% and 100%");
            }

            return new EvictionThreshold(signal, null, percent, gracePeriod);
        }

        decimal bytes;
        try
        {
            bytes = new ResourceQuantity(value).ToDecimal();
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            throw new ArgumentException($"{field}: {signal} \"{value}\" is not a quantity (e.g. 100Mi) or a percentage (e.g. 10%)", ex);
        }

        return bytes < 0
            ? throw new ArgumentException($"{field}: {signal} \"{value}\" must not be negative")
            : new EvictionThreshold(signal, (ulong)bytes, null, gracePeriod);
    }

    /// <summary>Formats a byte or inode count as upstream's resource.Quantity does: the largest exact binary suffix, else the plain number.</summary>
    public static string Format(ulong value)
    {
        string[] suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
        var i = 0;
        while (value != 0 && value % 1024 == 0 && i < suffixes.Length - 1)
        {
            value /= 1024;
            i++;
        }

        return value.ToString(CultureInfo.InvariantCulture) + suffixes[i];
    }
}
