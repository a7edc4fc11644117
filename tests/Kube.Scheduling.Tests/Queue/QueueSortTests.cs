using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.PrioritySort;
using Kube.Scheduling.Queue;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Scheduling.Tests.Queue;

[TestClass]
public sealed class QueueSortTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(10, 0, 0, 1, true, DisplayName = "higher priority first")]
    [DataRow(0, 10, 0, 1, false, DisplayName = "lower priority later")]
    [DataRow(5, 5, 0, 1, true, DisplayName = "same priority: earlier arrival first")]
    [DataRow(5, 5, 1, 0, false, DisplayName = "same priority: later arrival later")]
    [DataRow(5, 5, 0, 0, false, DisplayName = "equal: neither is less")]
    public async Task PrioritySort_Less_IsPriorityThenArrival(int priorityA, int priorityB, int secondA, int secondB, bool expected)
    {
        var time = new FakeTimeProvider();
        using var q = new SchedulingQueue(time);
        q.Add(TestObjects.Pod("a", priority: priorityA));
        q.Add(TestObjects.Pod("b", priority: priorityB));
        var x = (await q.PopAsync(TestContext.CancellationToken))!;
        var y = (await q.PopAsync(TestContext.CancellationToken))!;
        var a = x.Pod.Metadata.Name == "a" ? x : y;
        var b = ReferenceEquals(a, x) ? y : x;
        var start = DateTimeOffset.UnixEpoch;
        a.Timestamp = start.AddSeconds(secondA);
        b.Timestamp = start.AddSeconds(secondB);
        Assert.AreEqual(expected, new PrioritySortPlugin().Less(a, b));
    }

    [TestMethod]
    public async Task CustomQueueSort_OrdersTheActiveHeap()
    {
        using var q = new SchedulingQueue(new FakeTimeProvider()) { QueueSort = new ByNameDescending() };
        foreach (var n in new[] { "b", "a", "c" }) q.Add(TestObjects.Pod(n, priority: n == "a" ? 100 : 0));
        var order = new List<string>();
        for (var i = 0; i < 3; i++) order.Add((await q.PopAsync(TestContext.CancellationToken))!.Pod.Metadata.Name);
        CollectionAssert.AreEqual(new[] { "c", "b", "a" }, order, "the plugin's order, not priority");
        Assert.ThrowsExactly<InvalidOperationException>(() =>
        {
            q.Add(TestObjects.Pod("d"));
            q.QueueSort = null;
        });
    }

    private sealed class ByNameDescending : IQueueSortPlugin
    {
        public string Name => "ByName";

        public bool Less(QueuedPodInfo a, QueuedPodInfo b) => string.CompareOrdinal(a.Pod.Metadata.Name, b.Pod.Metadata.Name) > 0;
    }
}
