using Kube.Store;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Wal;

[TestClass]
public sealed class RecoveryTests
{
    private StoreTestContext _ctx = null!;

    [TestInitialize]
    public void Init() => _ctx = new StoreTestContext();

    [TestCleanup]
    public async Task Cleanup() => await _ctx.DisposeAsync();

    private string WalDir => Path.Combine(_ctx.DataDir, "wal");

    private static async Task<string?> Get(EmbeddedStore store, string key, long revision = 0)
    {
        var kvs = (await store.RangeAsync(new RangeRequest(B(key)) { Revision = revision })).Kvs;
        return kvs.Count == 0 ? null : S(kvs[0].Value);
    }

    [TestMethod]
    public async Task Reopen_RestoresKeysHistoryLeasesAndCompaction()
    {
        var store = await _ctx.OpenAsync();
        var r1 = (await store.PutAsync(new PutRequest(B("/a"), B("1")))).Header.Revision;
        var r2 = (await store.PutAsync(new PutRequest(B("/a"), B("2")))).Header.Revision;
        await store.PutAsync(new PutRequest(B("/b"), B("x")));
        await store.DeleteRangeAsync(new DeleteRangeRequest(B("/b")));
        var lease = await store.LeaseGrantAsync(600);
        await store.PutAsync(new PutRequest(B("/leased"), B("v")) { Lease = lease.Id });
        await store.TxnAsync(new TxnRequest { Success = [new RequestOp { Put = new PutRequest(B("/t1"), B("1")) }, new RequestOp { Put = new PutRequest(B("/t2"), B("2")) }] });
        await store.CompactAsync(r2);
        var before = await store.StatusAsync();
        await _ctx.CloseAsync(store);

        store = await _ctx.OpenAsync();
        var after = await store.StatusAsync();
        Assert.AreEqual(before.Header.Revision, after.Header.Revision);
        Assert.AreEqual(before.CompactRevision, after.CompactRevision);
        Assert.AreEqual(before.RaftIndex, after.RaftIndex);
        Assert.AreEqual("2", await Get(store, "/a"));
        Assert.AreEqual("2", await Get(store, "/a", r2));
        Assert.IsNull(await Get(store, "/b"));
        Assert.AreEqual("1", await Get(store, "/t1"));
        Assert.AreEqual(StoreErrorCode.Compacted, (await Assert.ThrowsExactlyAsync<StoreException>(async () => await Get(store, "/a", r1))).Code);
        var ttl = await store.LeaseTimeToLiveAsync(lease.Id, keys: true);
        Assert.AreEqual(600, ttl.GrantedTtl);
        Assert.AreEqual("/leased", S(ttl.Keys.Single()));
        var r = await store.PutAsync(new PutRequest(B("/a"), B("3")));
        Assert.AreEqual(before.Header.Revision + 1, r.Header.Revision);
    }

    [TestMethod]
    public async Task ParallelPuts_AreAllAcknowledged_AndAllPresentAfterReopen()
    {
        var store = await _ctx.OpenAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
            await store.PutAsync(new PutRequest(B($"/p/{i:D2}"), B($"v{i}"))))));
        var revisions = results.Select(r => r.Header.Revision).ToHashSet();
        Assert.AreEqual(64, revisions.Count, "each put got its own revision");
        await _ctx.CloseAsync(store);

        store = await _ctx.OpenAsync();
        var all = await store.RangeAsync(new RangeRequest(B("/p/")) { RangeEnd = B("/p0") });
        Assert.AreEqual(64, all.Count);
        for (var i = 0; i < 64; i++)
        {
            Assert.AreEqual($"v{i}", S(all.Kvs[i].Value));
        }
    }

    [TestMethod]
    public async Task AcknowledgedWrites_SurviveWithoutAnOrderlyShutdown()
    {
        var store = await _ctx.OpenAsync();
        for (var i = 0; i < 20; i++)
        {
            await store.PutAsync(new PutRequest(B($"/c/{i}"), B("v")));
        }
        // Copy the directory of the still-running store: what a crash right now would leave behind.
        var copy = Path.Combine(_ctx.DataDir, "..", Path.GetFileName(_ctx.DataDir) + "-crash");
        CopyDirectory(_ctx.DataDir, copy);
        try
        {
            await using var recovered = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = copy });
            Assert.AreEqual(20, (await recovered.RangeAsync(new RangeRequest(B("/c/")) { RangeEnd = B("/c0"), CountOnly = true })).Count);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [TestMethod]
    [DataRow(0, DisplayName = "partial header")]
    [DataRow(1, DisplayName = "length runs past the end of the file")]
    [DataRow(2, DisplayName = "last record CRC-bad")]
    [DataRow(3, DisplayName = "zeros allocated ahead of the end, as a crash leaves them")]
    [DataRow(4, DisplayName = "a torn record, then the zeros allocated ahead")]
    public async Task TornTail_IsTruncated_AndTheStoreKeepsWorking(int kind)
    {
        var store = await _ctx.OpenAsync();
        for (var i = 0; i < 10; i++)
        {
            await store.PutAsync(new PutRequest(B($"/t/{i}"), B("v")));
        }
        await _ctx.CloseAsync(store);
        var segment = Directory.GetFiles(WalDir, "*.wal").Order().Last();
        var goodLength = new FileInfo(segment).Length;
        var expected = 10;
        using (var fs = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            switch (kind)
            {
                case 0:
                    fs.Seek(0, SeekOrigin.End);
                    fs.Write([0x20, 0x00, 0x00]);
                    break;
                case 1:
                    fs.Seek(0, SeekOrigin.End);
                    fs.Write([0x00, 0x10, 0x00, 0x00, 1, 2, 3, 4, 1, 9, 9, 9, 9]);
                    break;
                case 3:
                case 4:
                    fs.Seek(0, SeekOrigin.End);
                    fs.Write(kind == 4 ? [0x20, 0x00, 0x00, 0x00, 1, 2, 3, 4, 1, 9] : []);
                    fs.Write(new byte[1024 * 1024]);
                    break;
                default:
                    fs.Seek(-1, SeekOrigin.End);
                    fs.WriteByte(0xFF); // the last put's value byte
                    expected = 9;
                    break;
            }
        }

        store = await _ctx.OpenAsync();
        Assert.AreEqual(expected, (await store.RangeAsync(new RangeRequest(B("/t/")) { RangeEnd = B("/t0"), CountOnly = true })).Count);
        if (kind is 0 or 1 or 4)
        {
            Assert.AreEqual(goodLength, new FileInfo(segment).Length, "the torn bytes are cut off");
        }
        await store.PutAsync(new PutRequest(B("/after"), B("ok")));
        await _ctx.CloseAsync(store);
        store = await _ctx.OpenAsync();
        Assert.AreEqual("ok", await Get(store, "/after"));
    }

    [TestMethod]
    public async Task CorruptionFollowedByValidRecords_RefusesToStart()
    {
        var store = await _ctx.OpenAsync();
        for (var i = 0; i < 10; i++)
        {
            await store.PutAsync(new PutRequest(B($"/m/{i}"), B("value")));
        }
        await _ctx.CloseAsync(store);
        var segment = Directory.GetFiles(WalDir, "*.wal").Order().Last();
        using (var fs = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            fs.Seek(30, SeekOrigin.Begin); // inside the first record's payload
            var b = fs.ReadByte();
            fs.Seek(30, SeekOrigin.Begin);
            fs.WriteByte((byte)(b ^ 0xFF));
        }
        var ex = await Assert.ThrowsExactlyAsync<InvalidDataException>(async () => await EmbeddedStore.OpenAsync(_ctx.Options()));
        StringAssert.Contains(ex.Message, "corruption");
    }

    [TestMethod]
    public async Task Snapshots_TrimTheWal_AndRecoveryUsesSnapshotPlusReplay()
    {
        void Configure(StoreOptions o)
        {
            o.SnapshotCount = 50;
            o.WalSegmentBytes = 4096;
        }
        var store = await _ctx.OpenAsync(Configure);
        var lease = await store.LeaseGrantAsync(600);
        await store.PutAsync(new PutRequest(B("/leased"), B("v")) { Lease = lease.Id });
        long firstRev = 0;
        for (var i = 0; i < 300; i++)
        {
            var r = await store.PutAsync(new PutRequest(B($"/s/{i % 37}"), B($"value-{i}-{new string('x', 40)}")));
            firstRev = firstRev == 0 ? r.Header.Revision : firstRev;
        }
        var deleted = await store.DeleteRangeAsync(new DeleteRangeRequest(B("/s/3")));
        Assert.AreEqual(1, deleted.Deleted);
        var before = await store.StatusAsync();
        await _ctx.CloseAsync(store);

        var snaps = Directory.GetFiles(Path.Combine(_ctx.DataDir, "snap"), "*.snap");
        Assert.IsTrue(snaps.Length is >= 1 and <= 2, $"{snaps.Length} snapshots kept");
        var segments = Directory.GetFiles(WalDir, "*.wal");
        var firstIndex = segments.Select(s => Convert.ToUInt64(Path.GetFileNameWithoutExtension(s).Split('-')[1], 16)).Min();
        Assert.IsTrue(firstIndex > 1, "segments behind the snapshot were deleted");

        store = await _ctx.OpenAsync(Configure);
        var after = await store.StatusAsync();
        Assert.AreEqual(before.Header.Revision, after.Header.Revision);
        Assert.AreEqual(before.RaftIndex, after.RaftIndex);
        for (var i = 263; i < 300; i++)
        {
            var key = $"/s/{i % 37}";
            Assert.AreEqual(key == "/s/3" ? null : $"value-{i}-{new string('x', 40)}", await Get(store, key));
        }
        // History from before the snapshot is still there (nothing was compacted).
        Assert.AreEqual($"value-0-{new string('x', 40)}", await Get(store, "/s/0", firstRev));
        // ...and feeds a watch from an old revision.
        await using var e = store.WatchAsync(new WatchRequest(B("/s/")) { RangeEnd = B("/s0"), StartRevision = firstRev }).GetAsyncEnumerator();
        var events = 0;
        while (events < 301 && await e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)))
        {
            events += e.Current.Events.Count;
        }
        Assert.AreEqual(301, events);
        Assert.AreEqual("/leased", S((await store.LeaseTimeToLiveAsync(lease.Id, keys: true)).Keys.Single()));
    }

    [TestMethod]
    public async Task WatchFromTheCompactionRevision_SeesTheSameEvents_BeforeAndAfterARestartFromASnapshot()
    {
        void Configure(StoreOptions o) => o.SnapshotCount = 1;
        var store = await _ctx.OpenAsync(Configure);
        await store.PutAsync(new PutRequest(B("/w/a"), B("1")));
        await store.PutAsync(new PutRequest(B("/w/b"), B("1")));
        var c = (await store.DeleteRangeAsync(new DeleteRangeRequest(B("/w/a")))).Header.Revision;
        await store.PutAsync(new PutRequest(B("/w/b"), B("2")));
        await store.CompactAsync(c);

        async Task<string> EventsFrom(EmbeddedStore s)
        {
            await using var e = s.WatchAsync(new WatchRequest(B("/w/")) { RangeEnd = B("/w0"), StartRevision = c }).GetAsyncEnumerator();
            var seen = new List<string>();
            while (seen.Count < 2 && await e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)))
            {
                seen.AddRange(e.Current.Events.Select(x => $"{x.Type}:{S(x.Kv.Key)}@{x.Kv.ModRevision}"));
            }
            return string.Join(",", seen);
        }

        var live = await EventsFrom(store);
        Assert.AreEqual($"Delete:/w/a@{c},Put:/w/b@{c + 1}", live);
        for (var i = 0; i < 20; i++)
        {
            // Enough log after the compaction for a snapshot that includes it.
            await store.PutAsync(new PutRequest(B($"/other/{i}"), new byte[1024]));
        }
        await _ctx.CloseAsync(store);
        Assert.IsTrue(Directory.GetFiles(Path.Combine(_ctx.DataDir, "snap"), "*.snap").Length > 0);
        store = await _ctx.OpenAsync(Configure);
        Assert.AreEqual(live, await EventsFrom(store));
        Assert.AreEqual(0, (await store.RangeAsync(new RangeRequest(B("/w/a")) { Revision = c })).Kvs.Count);
    }

    [TestMethod]
    public async Task DamagedSnapshot_RefusesToStart()
    {
        var store = await _ctx.OpenAsync(o => o.SnapshotCount = 5);
        for (var i = 0; i < 12; i++)
        {
            await store.PutAsync(new PutRequest(B($"/d/{i}"), B("v")));
        }
        await _ctx.CloseAsync(store);
        var newest = Directory.GetFiles(Path.Combine(_ctx.DataDir, "snap"), "*.snap").Order().Last();
        var bytes = File.ReadAllBytes(newest);
        bytes[30] ^= 0x55;
        File.WriteAllBytes(newest, bytes);
        var ex = await Assert.ThrowsExactlyAsync<InvalidDataException>(async () => await EmbeddedStore.OpenAsync(_ctx.Options(o => o.SnapshotCount = 5)));
        StringAssert.Contains(ex.Message, "damaged");
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var dir in Directory.GetDirectories(from))
        {
            CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}
