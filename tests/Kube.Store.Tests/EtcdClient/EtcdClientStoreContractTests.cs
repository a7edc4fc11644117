using Kube.Store;
using Kube.Store.Etcd.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kube.Store.Tests.EtcdClient;

/// <summary>The behaviour suite against a real etcd 3.4 process through <see cref="EtcdClientStore"/>, plus client-only behaviour (failover, DI).</summary>
[TestClass]
public sealed class EtcdClientStoreContractTests : KeyValueStoreContractTests
{
    private static EtcdProcess? s_etcd;
    private static EtcdClientStore? s_store;

    protected override IKeyValueStore? Store => s_store;

    protected override string SkipReason => EtcdProcess.InstallHint;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_etcd = await EtcdProcess.StartAsync();
        if (s_etcd is not null)
        {
            s_store = new EtcdClientStore(new EtcdClientOptions { Endpoints = [s_etcd.ClientUrl] });
        }
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        if (s_store is not null)
        {
            await s_store.DisposeAsync();
        }
        if (s_etcd is not null)
        {
            await s_etcd.DisposeAsync();
        }
    }

    [TestMethod]
    public async Task Calls_FailOverFromADeadEndpoint_ToALiveOne()
    {
        var dead = $"http://127.0.0.1:{EtcdProcess.FreePort()}";
        await using var store = new EtcdClientStore(new EtcdClientOptions { Endpoints = [$"{dead},{s_etcd!.ClientUrl}"], DialTimeout = TimeSpan.FromSeconds(2) });
        CollectionAssert.AreEqual(new[] { new Uri(dead), new Uri(s_etcd.ClientUrl) }, store.Endpoints.ToArray());
        var put = await store.PutAsync(new PutRequest(B(P + "f"), B("x"))); // a write, safe to move: the connection was refused
        Assert.AreEqual("x", Str((await store.RangeAsync(new RangeRequest(B(P + "f")))).Kvs.Single().Value));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var watch = store.WatchAsync(new WatchRequest(B(P + "f")) { StartRevision = put.Header.Revision }, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.IsTrue(await watch.MoveNextAsync());
        Assert.AreEqual(put.Header.Revision, watch.Current.Events.Single().Kv.ModRevision);
        Assert.AreEqual(60, (await store.LeaseGrantAsync(60)).Ttl);
    }

    [TestMethod]
    public async Task Watch_WhoseEndpointDies_ResumesOnTheNextEndpoint_WithNoLostOrRepeatedEvents()
    {
        await using var proxy = new LoopbackProxy(s_etcd!.ClientPort);
        await using var store = new EtcdClientStore(new EtcdClientOptions { Endpoints = [proxy.Url, s_etcd.ClientUrl] });
        var first = await store.PutAsync(new PutRequest(B(P + "r"), B("0")));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var watch = store.WatchAsync(new WatchRequest(B(P)) { RangeEnd = PrefixEnd(P), StartRevision = first.Header.Revision, PrevKv = true }, cts.Token)
            .GetAsyncEnumerator(cts.Token);
        var seen = new List<WatchEvent>();
        async Task ReadUntil(long revision)
        {
            while (seen.Count == 0 || seen[^1].Kv.ModRevision < revision)
            {
                Assert.IsTrue(await watch.MoveNextAsync());
                seen.AddRange(watch.Current.Events);
            }
        }
        var before = new List<long> { first.Header.Revision };
        for (var i = 1; i <= 5; i++)
        {
            before.Add((await store.PutAsync(new PutRequest(B(P + "r"), B(i.ToString(System.Globalization.CultureInfo.InvariantCulture))))).Header.Revision);
        }
        await ReadUntil(before[^1]);
        Assert.IsGreaterThan(0, proxy.Connections, "the watch runs through the proxy");

        await proxy.StopAsync(); // the first endpoint dies with the stream open
        // A read moves the client to the next endpoint (a write on the broken connection could fail with an unknown outcome).
        Assert.AreEqual("5", Str((await store.RangeAsync(new RangeRequest(B(P + "r")))).Kvs.Single().Value));
        var after = new List<long>();
        for (var i = 6; i <= 10; i++)
        {
            after.Add((await store.PutAsync(new PutRequest(B(P + "r"), B(i.ToString(System.Globalization.CultureInfo.InvariantCulture))))).Header.Revision);
        }
        await ReadUntil(after[^1]);

        CollectionAssert.AreEqual(before.Concat(after).ToArray(), seen.Select(e => e.Kv.ModRevision).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(0, 11).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            seen.Select(e => Str(e.Kv.Value)).ToArray());
        Assert.AreEqual("5", Str(seen[6].PrevKv!.Value), "prevKv still comes after the resume");
    }

    [TestMethod]
    public async Task Status_FindsACompactionMadeByAnotherClient()
    {
        await using var other = new EtcdClientStore(new EtcdClientOptions { Endpoints = [s_etcd!.ClientUrl] });
        await using var store = new EtcdClientStore(new EtcdClientOptions { Endpoints = [s_etcd.ClientUrl] });
        var before = (await store.StatusAsync()).CompactRevision;
        long target = 0;
        for (var i = 0; i < 37; i++)
        {
            var put = await other.PutAsync(new PutRequest(B(P + "c" + i), B("x")));
            if (i == 20)
            {
                target = put.Header.Revision;
            }
        }
        Assert.IsLessThan(target, before);
        await other.CompactAsync(target);
        Assert.AreEqual(target, (await store.StatusAsync()).CompactRevision);
        Assert.AreEqual(target, (await store.StatusAsync()).CompactRevision, "and again from the cached value");
    }

    [TestMethod]
    public async Task Calls_ToAnUnreachableCluster_FailWithStopped_WithinTheTimeouts()
    {
        await using var store = new EtcdClientStore(new EtcdClientOptions
        {
            Endpoints = [$"http://127.0.0.1:{EtcdProcess.FreePort()}", $"http://127.0.0.1:{EtcdProcess.FreePort()}"],
            DialTimeout = TimeSpan.FromSeconds(1), RequestTimeout = TimeSpan.FromSeconds(3),
        });
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await store.PutAsync(new PutRequest(B(P + "x"), B("x"))));
        Assert.AreEqual(StoreErrorCode.Stopped, ex.Code);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var watch = await Assert.ThrowsExactlyAsync<StoreException>(async () =>
        {
            await foreach (var _ in store.WatchAsync(new WatchRequest(B(P + "x")), cts.Token))
            {
            }
        });
        Assert.AreEqual(StoreErrorCode.Stopped, watch.Code);
    }

    [TestMethod]
    public async Task Dispose_EndsOpenWatches_WithStopped()
    {
        var store = new EtcdClientStore(new EtcdClientOptions { Endpoints = [s_etcd!.ClientUrl] });
        var put = await store.PutAsync(new PutRequest(B(P + "d"), B("x")));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var watch = store.WatchAsync(new WatchRequest(B(P + "d")) { StartRevision = put.Header.Revision }, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.IsTrue(await watch.MoveNextAsync());
        var pending = watch.MoveNextAsync().AsTask();
        await store.DisposeAsync();
        var ex = await Assert.ThrowsExactlyAsync<StoreException>(async () => await pending);
        Assert.AreEqual(StoreErrorCode.Stopped, ex.Code);
        await watch.DisposeAsync();
    }

    [TestMethod]
    public async Task Options_DefaultToEtcdsClientUrl_AndSplitCommaSeparatedEntries()
    {
        await using (var defaults = new EtcdClientStore(new EtcdClientOptions()))
        {
            CollectionAssert.AreEqual(new[] { new Uri("http://127.0.0.1:2379") }, defaults.Endpoints.ToArray());
        }
        Assert.AreEqual(TimeSpan.FromSeconds(5), new EtcdClientOptions().DialTimeout);
        Assert.AreEqual(TimeSpan.FromSeconds(10), new EtcdClientOptions().RequestTimeout);
        await using var split = new EtcdClientStore(new EtcdClientOptions { Endpoints = ["http://10.0.0.1:2379, http://10.0.0.2:2379", "http://10.0.0.3:2379"] });
        Assert.AreEqual(3, split.Endpoints.Count);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => new EtcdClientStore(new EtcdClientOptions { Endpoints = ["ftp://x:1"] }));
        StringAssert.Contains(ex.Message, "'ftp://x:1' is not a URL like http://127.0.0.1:2379");
    }

    [TestMethod]
    public async Task AddKubeEtcdClientStore_RegistersTheClient_AndValidatesOptions()
    {
        var services = new ServiceCollection();
        services.AddKubeEtcdClientStore(o => o.Endpoints = [s_etcd!.ClientUrl]);
        await using (var provider = services.BuildServiceProvider())
        {
            var store = provider.GetRequiredService<IKeyValueStore>();
            Assert.IsInstanceOfType<EtcdClientStore>(store);
            Assert.AreSame(store, provider.GetRequiredService<EtcdClientStore>());
            await store.PutAsync(new PutRequest(B(P + "di"), B("v")));
            Assert.AreEqual("v", Str((await store.RangeAsync(new RangeRequest(B(P + "di")))).Kvs.Single().Value));
        }

        var bad = new ServiceCollection();
        bad.AddKubeEtcdClientStore(o => { o.Endpoints = ["127.0.0.1:2379"]; o.RequestTimeout = TimeSpan.Zero; });
        await using var badProvider = bad.BuildServiceProvider();
        var ex = Assert.ThrowsExactly<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<EtcdClientOptions>>().Value);
        StringAssert.Contains(ex.Message, "Endpoints");
        StringAssert.Contains(ex.Message, "RequestTimeout");
    }
}
