using Kube.Core.WorkQueue;
using Microsoft.Extensions.Time.Testing;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.WorkQueue;

[TestClass]
public sealed class WorkQueueTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static async Task<string> TakeAsync(WorkQueue<string> q)
    {
        using var cts = new CancellationTokenSource(Deadline);
        var (ok, item) = await q.GetAsync(cts.Token);
        Assert.IsTrue(ok, "queue returned not-ok");
        return item;
    }

    private static bool TryTakeNow(WorkQueue<string> q, out string item)
    {
        var t = q.GetAsync(new CancellationToken(true));
        if (t.IsCompletedSuccessfully && t.Result.Ok)
        {
            item = t.Result.Item;
            return true;
        }

        item = "";
        return false;
    }

    [TestMethod]
    public async Task Add_SameItemTwice_IsHandedOutOnce()
    {
        using var q = WorkQueue<string>.Create(new FakeTimeProvider());
        q.Add("a");
        q.Add("b");
        q.Add("a");
        Assert.AreEqual(2, q.Count);
        Assert.AreEqual("a", await TakeAsync(q));
        Assert.AreEqual("b", await TakeAsync(q));
        Assert.IsFalse(TryTakeNow(q, out _));
    }

    [TestMethod]
    public async Task Add_WhileProcessing_IsDeferredUntilDone()
    {
        using var q = WorkQueue<string>.Create(new FakeTimeProvider());
        q.Add("a");
        var first = await TakeAsync(q);
        q.Add("a");
        q.Add("a");
        Assert.AreEqual(0, q.Count, "a re-add during processing must not be visible to other workers");
        Assert.IsFalse(TryTakeNow(q, out _));
        q.Done(first);
        Assert.AreEqual(1, q.Count);
        Assert.AreEqual("a", await TakeAsync(q));
        q.Done("a");
        Assert.IsFalse(TryTakeNow(q, out _));
    }

    [TestMethod]
    public async Task ManyWorkers_NeverProcessOneKeyConcurrently()
    {
        using var q = WorkQueue<string>.Create(new FakeTimeProvider());
        var active = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var violations = 0;
        var processed = 0;
        const int Adds = 2000;
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var (ok, item) = await q.GetAsync();
                if (!ok) return;
                if (active.AddOrUpdate(item, 1, (_, n) => n + 1) > 1) Interlocked.Increment(ref violations);
                await Task.Yield();
                active.AddOrUpdate(item, 0, (_, n) => n - 1);
                Interlocked.Increment(ref processed);
                q.Done(item);
            }
        })).ToArray();

        for (var i = 0; i < Adds; i++) q.Add("k" + (i % 5));
        q.ShutDown();
        await Task.WhenAll(workers).WaitAsync(Deadline);
        Assert.AreEqual(0, violations);
        Assert.IsTrue(processed >= 5 && processed <= Adds, $"processed {processed}");
    }

    [TestMethod]
    public async Task AddAfter_AppearsOnlyAfterTheDelay_EarliestWins()
    {
        var time = new FakeTimeProvider();
        using var q = WorkQueue<string>.Create(time);
        q.AddAfter("a", TimeSpan.FromSeconds(10));
        q.AddAfter("a", TimeSpan.FromSeconds(3));
        q.AddAfter("a", TimeSpan.FromSeconds(20));
        Assert.AreEqual(1, q.DelayedCount);
        time.Advance(TimeSpan.FromSeconds(2.9));
        Assert.AreEqual(0, q.Count);
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.AreEqual(1, q.Count);
        Assert.AreEqual("a", await TakeAsync(q));
        q.Done("a");
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.AreEqual(0, q.Count, "the later delays were superseded");
    }

    [TestMethod]
    public async Task AddRateLimited_BacksOffExponentially_AndForgetResets()
    {
        var time = new FakeTimeProvider();
        using var q = WorkQueue<string>.Create(time, new ItemExponentialFailureRateLimiter<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000)));
        TimeSpan[] expected = [TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(40)];
        for (var i = 0; i < expected.Length; i++)
        {
            q.AddRateLimited("a");
            time.Advance(expected[i] - TimeSpan.FromMilliseconds(1));
            Assert.AreEqual(0, q.Count, $"attempt {i} fired early");
            time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.AreEqual(1, q.Count, $"attempt {i} did not fire at {expected[i]}");
            q.Done(await TakeAsync(q));
        }

        Assert.AreEqual(4, q.NumRequeues("a"));
        q.Forget("a");
        Assert.AreEqual(0, q.NumRequeues("a"));
        q.AddRateLimited("a");
        time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.AreEqual(1, q.Count);
    }

    [TestMethod]
    public void ExponentialLimiter_CapsAtMaxDelay()
    {
        var l = new ItemExponentialFailureRateLimiter<string>();
        TimeSpan last = default;
        for (var i = 0; i < 100; i++) last = l.When("x");
        Assert.AreEqual(TimeSpan.FromSeconds(1000), last);
        Assert.AreEqual(TimeSpan.FromMilliseconds(5), l.When("y"));
        Assert.AreEqual(100, l.NumRequeues("x"));
    }

    [TestMethod]
    public void BucketLimiter_AllowsBurst_ThenSpacesByQps_AndRefills()
    {
        var time = new FakeTimeProvider();
        var l = new BucketRateLimiter<string>(10, 100, time);
        for (var i = 0; i < 100; i++) Assert.AreEqual(TimeSpan.Zero, l.When("k" + i), $"call {i} within burst");
        Assert.AreEqual(100, l.When("x").TotalMilliseconds, 0.001);
        Assert.AreEqual(200, l.When("y").TotalMilliseconds, 0.001);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.AreEqual(TimeSpan.Zero, l.When("z"), "the bucket refills over time");
        Assert.AreEqual(0, l.NumRequeues("x"));
    }

    [TestMethod]
    public void DefaultControllerRateLimiter_TakesTheMaxOfBackoffAndBucket()
    {
        var time = new FakeTimeProvider();
        var l = RateLimiters.DefaultControllerRateLimiter<string>(time);
        Assert.AreEqual(TimeSpan.FromMilliseconds(5), l.When("a"));
        Assert.AreEqual(TimeSpan.FromMilliseconds(10), l.When("a"));
        for (var i = 0; i < 98; i++) l.When("b" + i);
        // the bucket is now empty: the next item waits 100 ms although its own backoff is 5 ms
        Assert.AreEqual(100, l.When("c").TotalMilliseconds, 0.001);
        Assert.AreEqual(2, l.NumRequeues("a"));
        l.Forget("a");
        Assert.AreEqual(0, l.NumRequeues("a"));
    }

    [TestMethod]
    public async Task ShutDown_DrainsQueuedItems_ThenReturnsFalse_AndIgnoresNewAdds()
    {
        var time = new FakeTimeProvider();
        using var q = WorkQueue<string>.Create(time);
        q.Add("a");
        q.Add("b");
        q.AddAfter("late", TimeSpan.FromSeconds(1));
        q.ShutDown();
        q.Add("c");
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.IsTrue(q.IsShuttingDown);
        Assert.AreEqual("a", await TakeAsync(q));
        Assert.AreEqual("b", await TakeAsync(q));
        using var cts = new CancellationTokenSource(Deadline);
        var (ok, _) = await q.GetAsync(cts.Token);
        Assert.IsFalse(ok);
    }

    [TestMethod]
    public async Task ShutDown_WaitingWorkerWakesWithFalse()
    {
        using var q = WorkQueue<string>.Create(new FakeTimeProvider());
        var waiting = q.GetAsync().AsTask();
        Assert.IsFalse(waiting.IsCompleted);
        q.ShutDown();
        var (ok, _) = await waiting.WaitAsync(Deadline);
        Assert.IsFalse(ok);
    }

    [TestMethod]
    public async Task ShutDown_ItemReAddedDuringProcessing_IsStillHandedOutAfterDone()
    {
        using var q = WorkQueue<string>.Create(new FakeTimeProvider());
        q.Add("a");
        var item = await TakeAsync(q);
        q.Add("a");
        q.ShutDown();
        var next = q.GetAsync().AsTask();
        Assert.IsFalse(next.IsCompleted, "must wait for Done of the processing item");
        var drained = q.ShutDownWithDrainAsync();
        Assert.IsFalse(drained.IsCompleted);
        q.Done(item);
        var (ok, again) = await next.WaitAsync(Deadline);
        Assert.IsTrue(ok);
        Assert.AreEqual("a", again);
        q.Done(again);
        await drained.WaitAsync(Deadline);
        var (ok2, _) = await q.GetAsync().AsTask().WaitAsync(Deadline);
        Assert.IsFalse(ok2);
    }

    [TestMethod]
    public async Task GetAsync_HonoursCancellation()
    {
        using var q = WorkQueue<string>.Create(new FakeTimeProvider());
        using var cts = new CancellationTokenSource();
        var t = q.GetAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAsync<OperationCanceledException>(async () => await t.WaitAsync(Deadline));
    }

    [TestMethod]
    public async Task Metrics_CountAddsRetries_AndMeasureDurationsOnTheInjectedClock()
    {
        var name = "metrics-" + Guid.NewGuid().ToString("n");
        var measurements = new System.Collections.Concurrent.ConcurrentBag<(string Instrument, double Value)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Kube.Core" && instrument.Meter.Tags?.Any(t => t.Key == "queue" && (string?)t.Value == name) == true)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => measurements.Add((i.Name, v)));
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => measurements.Add((i.Name, v)));
        listener.SetMeasurementEventCallback<int>((i, v, _, _) => measurements.Add((i.Name, v)));
        listener.Start();

        var time = new FakeTimeProvider();
        using var q = new WorkQueue<string>(time, new ItemExponentialFailureRateLimiter<string>(), name);
        q.Add("a");
        q.Add("a");
        time.Advance(TimeSpan.FromSeconds(2));
        var item = await TakeAsync(q);
        time.Advance(TimeSpan.FromSeconds(3));
        q.Done(item);
        q.AddRateLimited("b");
        listener.RecordObservableInstruments();

        Assert.AreEqual(1, measurements.Count(m => m.Instrument == "kube.workqueue.adds"), "a deduplicated add is not counted");
        Assert.AreEqual(1, measurements.Count(m => m.Instrument == "kube.workqueue.retries"));
        Assert.AreEqual(2.0, measurements.Single(m => m.Instrument == "kube.workqueue.queue.duration").Value, 1e-9);
        Assert.AreEqual(3.0, measurements.Single(m => m.Instrument == "kube.workqueue.work.duration").Value, 1e-9);
        Assert.AreEqual(0, measurements.Single(m => m.Instrument == "kube.workqueue.depth").Value);
    }
}
