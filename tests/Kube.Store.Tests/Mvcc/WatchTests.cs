using Kube.Store;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Mvcc;

[TestClass]
public sealed class WatchTests
{
    private StoreTestContext _ctx = null!;

    [TestInitialize]
    public void Init() => _ctx = new StoreTestContext();

    [TestCleanup]
    public async Task Cleanup() => await _ctx.DisposeAsync();

    /// <summary>Reads responses until <paramref name="eventCount"/> events arrived, with a deadline.</summary>
    private static async Task<List<WatchResponse>> Collect(IAsyncEnumerator<WatchResponse> e, int eventCount)
    {
        var result = new List<WatchResponse>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = 0;
        while (events < eventCount)
        {
            var next = e.MoveNextAsync().AsTask();
            var done = await Task.WhenAny(next, Task.Delay(Timeout.Infinite, cts.Token).ContinueWith(_ => false));
            if (done != next || !await next)
            {
                Assert.Fail($"Watch delivered {events} of {eventCount} events before the deadline.");
            }
            result.Add(e.Current);
            events += e.Current.Events.Count;
        }
        return result;
    }

    [TestMethod]
    public async Task Watch_FromNow_DeliversPutPutDelete_InOrder_WithPrevKv()
    {
        var store = await _ctx.OpenAsync();
        await using var e = store.WatchAsync(new WatchRequest(B("/w/")) { RangeEnd = B("/w0"), PrevKv = true }).GetAsyncEnumerator();
        var first = e.MoveNextAsync(); // registers the watcher
        await store.PutAsync(new PutRequest(B("/w/x"), B("1")));
        await store.PutAsync(new PutRequest(B("/other"), B("ignored")));
        await store.PutAsync(new PutRequest(B("/w/x"), B("2")));
        await store.DeleteRangeAsync(new DeleteRangeRequest(B("/w/x")));
        Assert.IsTrue(await first);
        var responses = new List<WatchResponse> { e.Current };
        responses.AddRange(await Collect(e, 3 - e.Current.Events.Count));
        var events = responses.SelectMany(r => r.Events).ToList();
        CollectionAssert.AreEqual(new[] { EventType.Put, EventType.Put, EventType.Delete }, events.Select(x => x.Type).ToArray());
        Assert.IsNull(events[0].PrevKv);
        Assert.AreEqual("1", S(events[1].PrevKv!.Value));
        Assert.AreEqual("2", S(events[2].PrevKv!.Value));
        Assert.AreEqual(events[2].Kv.ModRevision, responses[^1].Header.Revision);
        var revisions = events.Select(x => x.Kv.ModRevision).ToList();
        CollectionAssert.AreEqual(revisions.Order().ToList(), revisions);
    }

    [TestMethod]
    public async Task Watch_WithoutPrevKv_OmitsIt()
    {
        var store = await _ctx.OpenAsync();
        await store.PutAsync(new PutRequest(B("/k"), B("1")));
        var rev = (await store.PutAsync(new PutRequest(B("/k"), B("2")))).Header.Revision;
        await using var e = store.WatchAsync(new WatchRequest(B("/k")) { StartRevision = rev }).GetAsyncEnumerator();
        var r = await Collect(e, 1);
        Assert.IsNull(r[0].Events[0].PrevKv);
    }

    [TestMethod]
    public async Task Watch_FromAPastRevision_ReplaysHistory_ThenFollowsLiveWithoutGapsOrDuplicates()
    {
        var store = await _ctx.OpenAsync();
        var start = (await store.PutAsync(new PutRequest(B("/h/0"), B("v")))).Header.Revision;
        for (var i = 1; i < 50; i++)
        {
            await store.PutAsync(new PutRequest(B($"/h/{i}"), B("v")));
        }
        await using var e = store.WatchAsync(new WatchRequest(B("/h/")) { RangeEnd = B("/h0"), StartRevision = start }).GetAsyncEnumerator();
        var writer = Task.Run(async () =>
        {
            for (var i = 50; i < 100; i++)
            {
                await store.PutAsync(new PutRequest(B($"/h/{i}"), B("v")));
            }
        });
        var responses = await Collect(e, 100);
        await writer;
        var revisions = responses.SelectMany(r => r.Events).Select(x => x.Kv.ModRevision).ToList();
        CollectionAssert.AreEqual(Enumerable.Range(0, 100).Select(i => start + i).ToList(), revisions);
    }

    [TestMethod]
    public async Task Watch_EventsOfOneTxn_ArriveInOneResponse()
    {
        var store = await _ctx.OpenAsync();
        await using var e = store.WatchAsync(new WatchRequest(B("\0")) { RangeEnd = B("\0") }).GetAsyncEnumerator();
        var first = e.MoveNextAsync();
        await store.TxnAsync(new TxnRequest
        {
            Success = [new RequestOp { Put = new PutRequest(B("/a"), B("1")) }, new RequestOp { Put = new PutRequest(B("/b"), B("2")) }, new RequestOp { Put = new PutRequest(B("/c"), B("3")) }],
        });
        Assert.IsTrue(await first);
        Assert.AreEqual(3, e.Current.Events.Count);
        Assert.AreEqual("/a,/b,/c", string.Join(",", e.Current.Events.Select(x => S(x.Kv.Key))));
    }

    [TestMethod]
    public async Task Watch_FromACompactedRevision_FailsWithTheCompactRevision()
    {
        var store = await _ctx.OpenAsync();
        var r1 = (await store.PutAsync(new PutRequest(B("/k"), B("1")))).Header.Revision;
        var r2 = (await store.PutAsync(new PutRequest(B("/k"), B("2")))).Header.Revision;
        var r3 = (await store.PutAsync(new PutRequest(B("/k"), B("3")))).Header.Revision;
        await store.CompactAsync(r2);
        await using var e = store.WatchAsync(new WatchRequest(B("/k")) { StartRevision = r1 }).GetAsyncEnumerator();
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await e.MoveNextAsync());
        Assert.AreEqual(StoreErrorCode.Compacted, ex.Code);
        Assert.AreEqual(r2, ex.CompactRevision);

        // Starting exactly at the compaction revision is allowed, as in etcd.
        await using var ok = store.WatchAsync(new WatchRequest(B("/k")) { StartRevision = r2 }).GetAsyncEnumerator();
        var got = await Collect(ok, 2);
        CollectionAssert.AreEqual(new[] { r2, r3 }, got.SelectMany(r => r.Events).Select(x => x.Kv.ModRevision).ToArray());
    }

    [TestMethod]
    public async Task Watch_NoPutAndNoDelete_FilterEvents()
    {
        var store = await _ctx.OpenAsync();
        await using var e = store.WatchAsync(new WatchRequest(B("/k")) { NoPut = true }).GetAsyncEnumerator();
        var first = e.MoveNextAsync();
        await store.PutAsync(new PutRequest(B("/k"), B("1")));
        await store.DeleteRangeAsync(new DeleteRangeRequest(B("/k")));
        Assert.IsTrue(await first);
        Assert.AreEqual(EventType.Delete, e.Current.Events.Single().Type);
    }

    [TestMethod]
    public async Task Watch_ProgressNotify_SendsTheCurrentRevisionWhenIdle()
    {
        var store = await _ctx.OpenAsync(fakeTime: true);
        var rev = (await store.PutAsync(new PutRequest(B("/k"), B("1")))).Header.Revision;
        await using var e = store.WatchAsync(new WatchRequest(B("/idle")) { ProgressNotify = true, ProgressInterval = TimeSpan.FromSeconds(5) }).GetAsyncEnumerator();
        var next = e.MoveNextAsync().AsTask();
        await WaitUntilAsync(async () =>
        {
            _ctx.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
            return next.IsCompleted;
        }, what: "a progress notification");
        Assert.IsTrue(await next);
        Assert.AreEqual(0, e.Current.Events.Count);
        Assert.AreEqual(rev, e.Current.Header.Revision);
    }

    [TestMethod]
    public async Task Watch_SlowReader_DoesNotBlockWriters_AndStillGetsEveryEventInOrder()
    {
        var store = await _ctx.OpenAsync(o => o.WatchBufferSize = 4);
        await using var e = store.WatchAsync(new WatchRequest(B("/s/")) { RangeEnd = B("/s0") }).GetAsyncEnumerator();
        var first = e.MoveNextAsync();
        // Nobody reads while 200 writes complete: the writers must not wait for the watcher.
        var writes = Task.WhenAll(Enumerable.Range(0, 200).Select(i => store.PutAsync(new PutRequest(B($"/s/{i:D3}"), B("v"))).AsTask()));
        Assert.AreSame(writes, await Task.WhenAny(writes, Task.Delay(TimeSpan.FromSeconds(20))), "writes blocked behind a slow watcher");
        Assert.IsTrue(await first);
        var responses = new List<WatchResponse> { e.Current };
        responses.AddRange(await Collect(e, 200 - e.Current.Events.Count));
        var revisions = responses.SelectMany(r => r.Events).Select(x => x.Kv.ModRevision).ToList();
        Assert.AreEqual(200, revisions.Count);
        CollectionAssert.AreEqual(revisions.Order().ToList(), revisions);
        Assert.AreEqual(200, revisions.Distinct().Count());
    }

    [TestMethod]
    public async Task Watch_SlowReader_WhoseHistoryIsCompacted_EndsWithCompacted()
    {
        var store = await _ctx.OpenAsync(o => o.WatchBufferSize = 2);
        await using var e = store.WatchAsync(new WatchRequest(B("/s/")) { RangeEnd = B("/s0") }).GetAsyncEnumerator();
        var first = e.MoveNextAsync();
        long last = 0;
        for (var i = 0; i < 20; i++)
        {
            last = (await store.PutAsync(new PutRequest(B($"/s/{i}"), B("v")))).Header.Revision;
        }
        await store.CompactAsync(last);
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () =>
        {
            await first;
            while (await e.MoveNextAsync())
            {
            }
        });
        Assert.AreEqual(StoreErrorCode.Compacted, ex.Code);
    }

    [TestMethod]
    public async Task Watch_Cancellation_EndsTheStreamQuietly()
    {
        var store = await _ctx.OpenAsync();
        using var cts = new CancellationTokenSource();
        var count = 0;
        var reading = Task.Run(async () =>
        {
            await foreach (var _ in store.WatchAsync(new WatchRequest(B("/k")), cts.Token))
            {
                count++;
            }
        });
        cts.CancelAfter(TimeSpan.FromMilliseconds(100));
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.AreEqual(0, count);
    }

    [TestMethod]
    public async Task Watch_StoreDisposal_EndsTheStreamWithStopped()
    {
        var store = await _ctx.OpenAsync();
        await using var e = store.WatchAsync(new WatchRequest(B("/k"))).GetAsyncEnumerator();
        var next = e.MoveNextAsync().AsTask();
        await _ctx.CloseAsync(store);
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await next.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.AreEqual(StoreErrorCode.Stopped, ex.Code);
    }
}
