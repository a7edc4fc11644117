namespace Kube.Store.Tests.Simulation;

/// <summary>Which faults a simulated history injects. Every mix has random message delays (1 ms + up to <see cref="MaxExtraDelayMs"/>).</summary>
internal sealed record FaultMix
{
    public required string Name { get; init; }

    public required int Members { get; init; }

    public double Drop { get; init; }

    public double Duplicate { get; init; }

    /// <summary>Spread of message delays; a spread larger than the gap between messages reorders them.</summary>
    public int MaxExtraDelayMs { get; init; } = 3;

    public bool Partitions { get; init; }

    public bool Crashes { get; init; }

    /// <summary>A crash keeps a random prefix of the unsynced writes (a torn tail truncated by the WAL) instead of none.</summary>
    public bool TornWrites { get; init; }

    /// <summary>Snapshot and compact the log every few entries, so lagging members need a snapshot install.</summary>
    public bool Compaction { get; init; }

    public bool Transfers { get; init; }

    /// <summary>Add a learner, promote it, then remove an old voter.</summary>
    public bool Membership { get; init; }

    public static FaultMix Get(string name)
    {
        var parts = name.Split('-');
        var members = parts.Length == 2 && int.TryParse(parts[1], out var m) ? m : throw new ArgumentException($"Mix '{name}' must be '<kind>-<members>'.");
        var mix = new FaultMix { Name = name, Members = members };
        return parts[0] switch
        {
            "clean" => mix,
            "lossy" => mix with { Drop = 0.15, Duplicate = 0.1, MaxExtraDelayMs = 40 },
            "partition" => mix with { Partitions = true, Drop = 0.02, MaxExtraDelayMs = 10 },
            "crash" => mix with { Crashes = true, TornWrites = true, MaxExtraDelayMs = 10 },
            "snapshot" => mix with { Compaction = true, Crashes = true, Partitions = true, MaxExtraDelayMs = 10 },
            "transfer" => mix with { Transfers = true, Drop = 0.05, Duplicate = 0.05, MaxExtraDelayMs = 10 },
            "membership" => mix with { Membership = true, Compaction = true, Drop = 0.05, MaxExtraDelayMs = 10, Crashes = true },
            "chaos" => mix with
            {
                Drop = 0.1, Duplicate = 0.05, MaxExtraDelayMs = 30, Partitions = true, Crashes = true, TornWrites = true,
                Compaction = true, Transfers = true, Membership = true,
            },
            _ => throw new ArgumentException($"Unknown fault mix '{name}'."),
        };
    }
}
