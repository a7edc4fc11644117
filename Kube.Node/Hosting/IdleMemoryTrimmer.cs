using System.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Hosting;

/// <summary>
/// Gives a node agent's idle memory back to the operating system. A burst of pod starts grows the GC's committed memory to
/// tens of MiB for a live heap of a few MiB; an agent that then idles allocates too little for the GC to run and release
/// the free regions, so they stay resident. Every <see cref="Interval"/> this checks the last GC's figures and, when the
/// committed memory exceeds the heap by more than <see cref="SlackBytes"/>, runs one aggressive full collection
/// (<see cref="GCCollectionMode.Aggressive"/>: compacts and decommits what it can). A collection of a few MiB live costs
/// a few milliseconds, at most once per interval.
/// </summary>
public sealed class IdleMemoryTrimmer(ILogger<IdleMemoryTrimmer> logger, TimeProvider? time = null) : BackgroundService
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>How often the figures are checked (default 30 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Committed memory beyond the heap's size that is tolerated without a trim (default 8 MiB).</summary>
    public long SlackBytes { get; init; } = 8L << 20;

    /// <summary>Trims run so far.</summary>
    public int Trims { get; private set; }

    /// <summary>Runs one check now: trims and returns true when the committed memory exceeds the heap by more than the slack.</summary>
    public bool TrimIfWorthIt()
    {
        var info = GC.GetGCMemoryInfo();
        var slack = info.TotalCommittedBytes - info.HeapSizeBytes;
        if (slack <= SlackBytes)
        {
            return false;
        }

        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Trims++;
        var after = GC.GetGCMemoryInfo();
        logger.LogDebug("Trimmed idle memory: committed {Before} -> {After} KiB, heap {Heap} KiB",
            info.TotalCommittedBytes >> 10, after.TotalCommittedBytes >> 10, after.HeapSizeBytes >> 10);
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                TrimIfWorthIt();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
