using System.Diagnostics.Metrics;
using Kube.Store.Mvcc;

namespace Kube.Store;

/// <summary>The store's instruments, on a meter named <c>Kube.Store</c> (one per open store, disposed with it).</summary>
internal sealed class StoreMetrics : IDisposable
{
    public const string MeterName = "Kube.Store";

    private readonly Meter _meter;

    public StoreMetrics(MvccState state, string member)
    {
        _meter = new Meter(MeterName, "1.0.0", [new KeyValuePair<string, object?>("member", member)]);
        FsyncDuration = _meter.CreateHistogram<double>("kube.store.wal.fsync.duration", "s", "Time to write and fsync one group-commit batch.");
        BatchEntries = _meter.CreateHistogram<int>("kube.store.wal.batch.entries", "{entry}", "Log entries made durable by one fsync (group commit).");
        SnapshotDuration = _meter.CreateHistogram<double>("kube.store.snapshot.duration", "s", "Time to write and fsync one snapshot.");
        Applied = _meter.CreateCounter<long>("kube.store.entries.applied", "{entry}", "Log entries applied to the MVCC state.");
        _meter.CreateObservableGauge("kube.store.revision", () => state.Revision, "{revision}", "The current MVCC revision.");
        _meter.CreateObservableGauge("kube.store.compact.revision", () => state.CompactRevision, "{revision}", "The compacted revision.");
        _meter.CreateObservableGauge("kube.store.db.size", () => state.DbSize, "By", "Approximate size of every retained version (the space quota counts this).");
        _meter.CreateObservableGauge("kube.store.watchers", () => state.WatcherCount, "{watcher}", "Open watches.");
    }

    public Histogram<double> FsyncDuration { get; }
    public Histogram<int> BatchEntries { get; }
    public Histogram<double> SnapshotDuration { get; }
    public Counter<long> Applied { get; }

    public void Dispose() => _meter.Dispose();
}
