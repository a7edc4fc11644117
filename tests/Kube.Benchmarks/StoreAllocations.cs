using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Kube.Benchmarks;

/// <summary>
/// In a <c>serve</c> process run with KUBE_BENCH_ALLOC_PROFILE=1 (the benchmark passes its environment on): samples the runtime's AllocationTick events (one per ~100 KB
/// allocated, with the type that crossed the mark) and prints the most sampled types every 5 s, to show what a put allocates.
/// </summary>
internal sealed class StoreAllocations : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private Timer? _report;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
            _report ??= new Timer(_ => Report(), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null)
        {
            return;
        }
        var type = e.PayloadNames?.IndexOf("TypeName") is int t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
        var size = e.PayloadNames?.IndexOf("AllocationAmount64") is int a and >= 0 ? Convert.ToInt64(e.Payload[a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate(type, size, (_, old) => old + size);
    }

    private void Report()
    {
        var top = _bytes.OrderByDescending(x => x.Value).Take(25).ToArray();
        var total = _bytes.Values.Sum();
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"allocations at {DateTime.UtcNow:HH:mm:ss} ({total / 1048576} MiB sampled):"));
        foreach (var (type, bytes) in top)
        {
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  {100.0 * bytes / total,5:F1}%  {type}"));
        }
    }

    public override void Dispose()
    {
        _report?.Dispose();
        base.Dispose();
    }
}
