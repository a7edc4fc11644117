using Kube.Scheduling.Framework;
using Kube.Scheduling.Queue;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Scheduling.Tests.Queue;

[TestClass]
public sealed class SchedulingQueueTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Pop_OrdersByPriorityThenArrival()
    {
        var time = new FakeTimeProvider();
        using var q = new SchedulingQueue(time);
        q.Add(TestObjects.Pod("low-early", priority: 0));
        time.Advance(TimeSpan.FromSeconds(1));
        q.Add(TestObjects.Pod("high", priority: 100));
        time.Advance(TimeSpan.FromSeconds(1));
        q.Add(TestObjects.Pod("low-late", priority: 0));
        time.Advance(TimeSpan.FromSeconds(1));
        q.Add(TestObjects.Pod("mid", priority: 10));

        var order = new List<string>();
        for (var i = 0; i < 4; i++) order.Add((await q.PopAsync(TestContext.CancellationToken))!.Pod.Metadata.Name);
        CollectionAssert.AreEqual(new[] { "high", "mid", "low-early", "low-late" }, order);
    }

    [TestMethod]
    [DataRow(1, 1)]
    [DataRow(2, 2)]
    [DataRow(3, 4)]
    [DataRow(4, 8)]
    [DataRow(5, 10)]
    [DataRow(12, 10)]
    public void BackoffDuration_DoublesFromOneToTenSeconds(int attempts, int seconds)
    {
        using var q = new SchedulingQueue(new FakeTimeProvider());
        Assert.AreEqual(TimeSpan.FromSeconds(seconds), q.BackoffDuration(attempts));
    }

    [TestMethod]
    public async Task FailedPod_WaitsInUnschedulable_UntilAClusterEvent_ThenBacksOff()
    {
        var time = new FakeTimeProvider();
        using var q = new SchedulingQueue(time);
        q.Add(TestObjects.Pod("p"));
        var info = (await q.PopAsync(TestContext.CancellationToken))!;
        q.AddUnschedulableIfNotPresent(info, q.SchedulingCycle);
        Assert.AreEqual(1, q.UnschedulableCount);

        q.FlushBackoffCompleted();
        Assert.AreEqual(0, q.ActiveCount, "no event yet: stays unschedulable");

        q.MoveAllToActiveOrBackoff();
        Assert.AreEqual(1, q.BackoffCount, "attempt 1 backs off 1 s");
        time.Advance(TimeSpan.FromMilliseconds(999));
        q.FlushBackoffCompleted();
        Assert.AreEqual(0, q.ActiveCount);
        time.Advance(TimeSpan.FromMilliseconds(1));
        q.FlushBackoffCompleted();
        Assert.AreEqual(1, q.ActiveCount);
        Assert.AreEqual(2, (await q.PopAsync(TestContext.CancellationToken))!.Attempts);
    }

    [TestMethod]
    public async Task Pop_TakesTheBackoffPodThatEndsFirst_WhenNothingIsActive_ButNotOneBackingOffAfterAnError()
    {
        var time = new FakeTimeProvider();
        using var q = new SchedulingQueue(time);
        q.Add(TestObjects.Pod("failed-with-error"));
        var erred = (await q.PopAsync(TestContext.CancellationToken))!;
        q.AddUnschedulableIfNotPresent(erred, q.SchedulingCycle, error: true);
        q.Add(TestObjects.Pod("a"));
        q.Add(TestObjects.Pod("b"));
        var a = (await q.PopAsync(TestContext.CancellationToken))!;
        var b = (await q.PopAsync(TestContext.CancellationToken))!;
        Assert.AreEqual("a", a.Pod.Metadata.Name, "arrival order");
        q.AddUnschedulableIfNotPresent(a, q.SchedulingCycle, error: false);
        q.MoveAllToActiveOrBackoff();
        time.Advance(TimeSpan.FromMilliseconds(100));
        q.AddUnschedulableIfNotPresent(b, q.SchedulingCycle, error: false);
        Assert.AreEqual(3, q.BackoffCount, "all three back off for 1 s");

        // Upstream's SchedulerPopFromBackoffQ: with no active pod the one whose backoff ends first is tried now.
        var popped = (await q.PopAsync(TestContext.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.CancellationToken))!;
        Assert.AreEqual("a", popped.Pod.Metadata.Name);
        Assert.AreEqual(2, popped.Attempts);
        Assert.AreEqual("b", (await q.PopAsync(TestContext.CancellationToken))!.Pod.Metadata.Name);

        // The pod that failed with an error serves its whole backoff.
        await AssertPoppedOnlyAfterBackoffAsync(q, time, "failed-with-error");
    }

    /// <summary>A pop waits while the pod backs off, and returns it once its second of backoff is over.</summary>
    private async Task AssertPoppedOnlyAfterBackoffAsync(SchedulingQueue q, FakeTimeProvider time, string name)
    {
        var waiting = q.PopAsync(TestContext.CancellationToken).AsTask();
        Assert.IsFalse(waiting.IsCompleted, "the backoff is not cut short");
        time.Advance(TimeSpan.FromSeconds(1));
        q.FlushBackoffCompleted();
        Assert.AreEqual(name, (await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.CancellationToken))!.Pod.Metadata.Name);
    }

    [TestMethod]
    public async Task PodRetriedAfterBackoff_GoesBeforeAPodThatArrivedAfterItFailed()
    {
        var time = new FakeTimeProvider();
        using var q = new SchedulingQueue(time);
        q.Add(TestObjects.Pod("failed-first"));
        var info = (await q.PopAsync(TestContext.CancellationToken))!;
        q.AddUnschedulableIfNotPresent(info, q.SchedulingCycle);
        time.Advance(TimeSpan.FromMilliseconds(500));
        q.Add(TestObjects.Pod("arrived-later"));
        q.MoveAllToActiveOrBackoff();
        time.Advance(TimeSpan.FromMilliseconds(600));
        q.FlushBackoffCompleted();
        Assert.AreEqual(2, q.ActiveCount);

        // Upstream orders equal priorities by the time of the last failure, which moving to the active heap keeps.
        Assert.AreEqual("failed-first", (await q.PopAsync(TestContext.CancellationToken))!.Pod.Metadata.Name);
        Assert.AreEqual("arrived-later", (await q.PopAsync(TestContext.CancellationToken))!.Pod.Metadata.Name);
    }

    [TestMethod]
    public async Task Pop_WaitsOutBackoff_WhenPopFromBackoffQIsOff()
    {
        var time = new FakeTimeProvider();
        using var q = new SchedulingQueue(time, new SchedulerOptions { PopFromBackoffQ = false });
        q.Add(TestObjects.Pod("p"));
        var info = (await q.PopAsync(TestContext.CancellationToken))!;
        var cycle = q.SchedulingCycle;
        q.MoveAllToActiveOrBackoff();
        q.AddUnschedulableIfNotPresent(info, cycle);
        await AssertPoppedOnlyAfterBackoffAsync(q, time, "p");
    }

    [TestMethod]
    public async Task EventDuringAttempt_SendsPodToBackoff_NotUnschedulable()
    {
        var time = new FakeTimeProvider();
        using var q = new SchedulingQueue(time);
        q.Add(TestObjects.Pod("p"));
        var info = (await q.PopAsync(TestContext.CancellationToken))!;
        var cycle = q.SchedulingCycle;
        q.MoveAllToActiveOrBackoff(); // a node was added while the pod was being scheduled
        q.AddUnschedulableIfNotPresent(info, cycle);
        Assert.AreEqual(0, q.UnschedulableCount);
        Assert.AreEqual(1, q.BackoffCount);
    }

    [TestMethod]
    public async Task UnschedulableLeftovers_AreRetriedAfterFiveMinutes_ByTheTimer()
    {
        var time = new FakeTimeProvider();
        using var q = new SchedulingQueue(time, new SchedulerOptions());
        q.Start();
        q.Add(TestObjects.Pod("p"));
        var info = (await q.PopAsync(TestContext.CancellationToken))!;
        q.AddUnschedulableIfNotPresent(info, q.SchedulingCycle);
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.AreEqual(1, q.UnschedulableCount);
        time.Advance(TimeSpan.FromMinutes(1.5));
        Assert.AreEqual(0, q.UnschedulableCount);
        Assert.AreEqual(1, q.ActiveCount);
    }

    [TestMethod]
    public async Task Delete_RemovesPodEverywhere_AndPodDeletedInFlightIsNotRequeued()
    {
        var time = new FakeTimeProvider();
        using var q = new SchedulingQueue(time);
        var a = TestObjects.Pod("a");
        q.Add(a);
        q.Add(TestObjects.Pod("b"));
        q.Delete(TestObjects.Pod("b"));
        var info = (await q.PopAsync(TestContext.CancellationToken))!;
        Assert.AreEqual("a", info.Pod.Metadata.Name);
        q.Delete(a);
        q.AddUnschedulableIfNotPresent(info, q.SchedulingCycle);
        Assert.AreEqual(0, q.ActiveCount + q.BackoffCount + q.UnschedulableCount);
    }

    [TestMethod]
    public async Task Pop_WaitsForAnAdd()
    {
        using var q = new SchedulingQueue(new FakeTimeProvider());
        var pop = q.PopAsync(TestContext.CancellationToken).AsTask();
        Assert.IsFalse(pop.IsCompleted);
        q.Add(TestObjects.Pod("p"));
        var info = await pop.WaitAsync(TimeSpan.FromSeconds(10), TestContext.CancellationToken);
        Assert.AreEqual("p", info!.Pod.Metadata.Name);
    }

    [TestMethod]
    // what the update changes on a pod without labels or annotations | expected to leave the unschedulable set
    [DataRow("status", false, DisplayName = "a status write (the scheduler's own condition) is no update")]
    [DataRow("labels", true, DisplayName = "labels added")]
    [DataRow("spec", true, DisplayName = "spec changed")]
    public async Task Update_OfAnUnschedulablePod_WithoutLabels_MovesItOnlyWhenSpecOrLabelsChange(string change, bool moved)
    {
        var time = new FakeTimeProvider();
        using var q = new SchedulingQueue(time);
        var pod = TestObjects.Pod("p");
        q.Add(pod);
        var info = (await q.PopAsync(TestContext.CancellationToken))!;
        q.AddUnschedulableIfNotPresent(info, q.SchedulingCycle);
        Assert.AreEqual(1, q.UnschedulableCount);
        var updated = TestObjects.Pod("p");
        switch (change)
        {
            case "status": updated.Status = new k8s.Models.V1PodStatus { Phase = "Pending" }; break;
            case "labels": updated.Metadata.Labels = new Dictionary<string, string> { ["a"] = "b" }; break;
            default: updated.Spec.Priority = 5; break;
        }

        q.Update(pod, updated);
        Assert.AreEqual(moved ? 0 : 1, q.UnschedulableCount);
    }
}
