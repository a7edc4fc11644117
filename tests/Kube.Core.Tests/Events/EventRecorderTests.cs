using k8s.Models;
using Kube.Core.Events;
using Kube.Core.Tests.Testing;
using Microsoft.Extensions.Time.Testing;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.Events;

[TestClass]
public sealed class EventRecorderTests
{
    private static V1Deployment Deployment() => new() { Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "apps", Uid = "d-1", ResourceVersion = "5" } };

    private static async Task<IReadOnlyList<Eventsv1Event>> EventsAsync(InMemoryKubeClient client) =>
        (await client.ListAsync<Eventsv1Event>("apps")).Items;

    [TestMethod]
    public async Task Record_WritesAnEventsV1Event_AboutTheObject()
    {
        var client = new InMemoryKubeClient();
        await using var recorder = new EventRecorder(client, new EventRecorderOptions { ReportingController = "kube-sdk.io/test", ReportingInstance = "i-1" });
        recorder.Record(Deployment(), EventTypes.Normal, "ScalingReplicaSet", "Scale", "Scaled up to 3", new V1ReplicaSet { Metadata = new V1ObjectMeta { Name = "web-1", NamespaceProperty = "apps" } });
        await Eventually.TrueAsync(() => recorder.Written == 1, "written");

        var ev = (await EventsAsync(client)).Single();
        Assert.AreEqual("events.k8s.io/v1", ev.ApiVersion);
        Assert.AreEqual("Normal", ev.Type);
        Assert.AreEqual("ScalingReplicaSet", ev.Reason);
        Assert.AreEqual("Scale", ev.Action);
        Assert.AreEqual("Scaled up to 3", ev.Note);
        Assert.AreEqual("kube-sdk.io/test", ev.ReportingController);
        Assert.AreEqual("i-1", ev.ReportingInstance);
        Assert.AreEqual("Deployment", ev.Regarding.Kind);
        Assert.AreEqual("apps/v1", ev.Regarding.ApiVersion);
        Assert.AreEqual("d-1", ev.Regarding.Uid);
        Assert.AreEqual("web-1", ev.Related.Name);
        StringAssert.StartsWith(ev.Metadata.Name, "web.");
        Assert.IsNotNull(ev.EventTime);
    }

    [TestMethod]
    public async Task Repeats_WithinTheWindow_BecomeASeries_LaterOnesANewEvent()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var client = new InMemoryKubeClient();
        await using var recorder = new EventRecorder(client, new EventRecorderOptions { ReportingController = "c" }, time);
        for (var i = 0; i < 3; i++) recorder.Record(Deployment(), EventTypes.Warning, "Failed", "Sync", "boom");
        recorder.Record(Deployment(), EventTypes.Warning, "Failed", "Sync", "other note");
        await Eventually.TrueAsync(() => recorder.Written == 4, "written");
        var events = await EventsAsync(client);
        Assert.AreEqual(2, events.Count);
        Assert.AreEqual(3, events.Single(e => e.Note == "boom").Series.Count);
        Assert.IsNull(events.Single(e => e.Note == "other note").Series);

        time.Advance(TimeSpan.FromMinutes(7));
        recorder.Record(Deployment(), EventTypes.Warning, "Failed", "Sync", "boom");
        await Eventually.TrueAsync(() => recorder.Written == 5, "written");
        Assert.AreEqual(3, (await EventsAsync(client)).Count, "outside the window a new event starts");
    }

    [TestMethod]
    public async Task FullQueue_DropsWithoutBlocking()
    {
        var client = new InMemoryKubeClient { CreateGate = new TaskCompletionSource() };
        await using var recorder = new EventRecorder(client, new EventRecorderOptions { ReportingController = "c", QueueLength = 2 });
        for (var i = 0; i < 10; i++) recorder.Record(Deployment(), EventTypes.Normal, "R" + i, "A");
        Assert.IsTrue(recorder.Dropped >= 7, $"dropped {recorder.Dropped}");
        client.CreateGate.SetResult();
        await Eventually.TrueAsync(() => recorder.Written + recorder.Dropped == 10, "the queued ones are written");
        Assert.IsTrue(recorder.Written is >= 2 and <= 3);
    }
}
