using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Kube.Store;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests;

[TestClass]
public sealed class StoreMetricsTests
{
    [TestMethod]
    public async Task Writes_RecordFsyncAndBatchSize_AndGaugesReportTheRevision()
    {
        await using var ctx = new StoreTestContext();
        var store = await ctx.OpenAsync(o => o.MemberName = "metrics-" + Guid.NewGuid().ToString("N"));
        var seen = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Kube.Store" && instrument.Meter.Tags!.Any(t => t.Key == "member" && ((string)t.Value!).StartsWith("metrics-", StringComparison.Ordinal)))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => seen.AddOrUpdate(i.Name, v, (_, old) => old + v));
        listener.SetMeasurementEventCallback<int>((i, v, _, _) => seen.AddOrUpdate(i.Name, v, (_, old) => old + v));
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => seen[i.Name] = v);
        listener.Start();

        var rev = (await store.PutAsync(new PutRequest(B("/m"), B("v")))).Header.Revision;
        listener.RecordObservableInstruments();

        Assert.IsTrue(seen.ContainsKey("kube.store.wal.fsync.duration"));
        Assert.IsTrue(seen["kube.store.wal.batch.entries"] >= 1);
        Assert.AreEqual(rev, seen["kube.store.revision"]);
        Assert.IsTrue(seen["kube.store.db.size"] > 0);
    }
}
