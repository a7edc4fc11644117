using System.Diagnostics.Metrics;

namespace Kube.ApiServer.Tests.Http;

[TestClass]
public sealed class MetricsTests
{
    [TestMethod]
    public async Task Requests_AreCountedByVerbResourceAndCode()
    {
        await using var cluster = await TestCluster.StartAsync();
        var seen = new List<(string Verb, string Resource, int Code)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "Kube.ApiServer" && i.Name == "kube.apiserver.requests") l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string verb = "", resource = "";
            var code = 0;
            foreach (var t in tags)
            {
                if (t.Key == "verb") verb = (string)t.Value!;
                else if (t.Key == "resource") resource = (string)t.Value!;
                else if (t.Key == "code") code = (int)t.Value!;
            }
            lock (seen) seen.Add((verb, resource, code));
        });
        listener.Start();
        await cluster.GetAsync("/api/v1/namespaces/default/pods/missing");
        await cluster.GetAsync("/api/v1/namespaces/default/pods");
        await TestCluster.WaitForAsync(() => { lock (seen) return Task.FromResult(seen.Count >= 2); }, what: "measurements");
        lock (seen)
        {
            CollectionAssert.Contains(seen, ("GET", "pods", 404));
            CollectionAssert.Contains(seen, ("LIST", "pods", 200));
        }
    }
}
