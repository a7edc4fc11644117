using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kube.ApiServer.Tests.Registry;

[TestClass]
public sealed class CompactionTests
{
    [TestMethod]
    public async Task Compactor_CompactsToThePreviousIntervalsRevision_AndOldWatchesGet410()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time).BuildServiceProvider();
        await using var cluster = await TestCluster.StartAsync(o => o.CompactionInterval = TimeSpan.FromMinutes(5), services);
        await cluster.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}""");
        var first = (await cluster.Store.StatusAsync()).Header.Revision;
        time.Advance(TimeSpan.FromMinutes(5));
        await cluster.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}""");
        Assert.AreEqual(0, (await cluster.Store.StatusAsync()).CompactRevision, "the first tick only records the revision");
        await TestCluster.WaitForAsync(async () =>
        {
            time.Advance(TimeSpan.FromMinutes(5));
            return (await cluster.Store.StatusAsync()).CompactRevision >= first;
        }, what: "compaction");
        var r = await cluster.GetAsync("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1");
        Assert.AreEqual(410, r.Code);
        var list = await cluster.GetAsync("/api/v1/namespaces/default/configmaps");
        Assert.AreEqual(2, list.Body!["items"]!.AsArray().Count, "compaction keeps the latest values");
    }

    [TestMethod]
    public async Task ContinueToken_AfterCompaction_Returns410Expired()
    {
        await using var cluster = await TestCluster.StartAsync();
        for (var i = 0; i < 3; i++)
            await cluster.PostAsync("/api/v1/namespaces/default/configmaps", $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c{{{i}}}"}}""");
        var page = await cluster.GetAsync("/api/v1/namespaces/default/configmaps?limit=1");
        var token = page.Body!["metadata"]!["continue"]!.GetValue<string>();
        await cluster.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"later"}}""");
        await cluster.Store.CompactAsync((await cluster.Store.StatusAsync()).Header.Revision);
        var next = await cluster.GetAsync("/api/v1/namespaces/default/configmaps?limit=1&continue=" + Uri.EscapeDataString(token));
        Assert.AreEqual(410, next.Code, next.Body?.ToJsonString());
        Assert.AreEqual("Expired", next.Body!["reason"]!.GetValue<string>());
    }
}
