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
}
