using k8s.Models;
using Kube.Core.Client;
using WatchEventType = Kube.Core.Client.WatchEventType;

namespace Kube.ApiServer.Tests.Registry;

[TestClass]
public sealed class EventStorageTests
{
    [TestMethod]
    public async Task EventsApiAndCoreEvents_ShareStorage_WithFieldsConverted()
    {
        await using var cluster = await TestCluster.StartAsync();
        var created = await cluster.Client.CreateAsync(new Eventsv1Event
        {
            Metadata = new V1ObjectMeta { Name = "e1", NamespaceProperty = "default" },
            EventTime = DateTime.UtcNow,
            Regarding = new V1ObjectReference { Kind = "Pod", Name = "web-1", NamespaceProperty = "default" },
            Note = "Pulled image",
            Reason = "Pulled",
            Type = "Normal",
            ReportingController = "kube-node",
            ReportingInstance = "node-1",
            Action = "Pull",
        });
        Assert.AreEqual("Pulled image", created.Note);

        var core = await cluster.GetAsync("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb-1");
        var item = core.Body!["items"]!.AsArray().Single()!;
        Assert.AreEqual("Event", item["kind"]!.GetValue<string>());
        Assert.AreEqual("v1", item["apiVersion"]!.GetValue<string>());
        Assert.AreEqual("Pulled image", item["message"]!.GetValue<string>());
        Assert.AreEqual("kube-node", item["reportingComponent"]!.GetValue<string>());
        Assert.AreEqual(created.Metadata.ResourceVersion, item["metadata"]!["resourceVersion"]!.GetValue<string>());

        var rv = (await cluster.Client.ListAsync<Eventsv1Event>("default")).ResourceVersion;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var watch = Task.Run(async () =>
        {
            await foreach (var e in cluster.Client.WatchAsync<Eventsv1Event>("default", new ListOptions { ResourceVersion = rv }, cts.Token))
                return e;
            return null;
        });
        var posted = await cluster.PostAsync("/api/v1/namespaces/default/events", """
            {"apiVersion":"v1","kind":"Event","metadata":{"name":"e2"},"involvedObject":{"kind":"Pod","name":"web-2","namespace":"default"},
             "reason":"Scheduled","message":"Assigned to node-1","type":"Normal","source":{"component":"default-scheduler"},"count":1}
            """);
        Assert.AreEqual(201, posted.Code, posted.Body?.ToJsonString());
        var viaEventsApi = await cluster.Client.GetAsync<Eventsv1Event>("e2", "default");
        Assert.AreEqual("Assigned to node-1", viaEventsApi.Note);
        Assert.AreEqual("web-2", viaEventsApi.Regarding.Name);
        Assert.AreEqual("default-scheduler", viaEventsApi.DeprecatedSource.Component);
        var watched = await watch;
        Assert.IsNotNull(watched);
        Assert.AreEqual(WatchEventType.Added, watched.Type);
        Assert.AreEqual("Assigned to node-1", watched.Object!.Note);

        var both = await cluster.GetAsync("/apis/events.k8s.io/v1/namespaces/default/events");
        Assert.AreEqual(2, both.Body!["items"]!.AsArray().Count);
        Assert.AreEqual("events.k8s.io/v1", both.Body!["items"]![0]!["apiVersion"]!.GetValue<string>());
    }
}
