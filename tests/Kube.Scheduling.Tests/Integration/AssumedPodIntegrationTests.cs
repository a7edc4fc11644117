using k8s.Models;
using Kube.Core.Client;
using Kube.Scheduling.Framework;

namespace Kube.Scheduling.Tests.Integration;

/// <summary>
/// Assumed pods through the real scheduler, API server and store: a failed binding forgets the pod and retries it, a
/// deleted pod leaves the cache, and the informer's add confirms the assumption.
/// </summary>
[TestClass]
public sealed class AssumedPodIntegrationTests
{
    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task BindingError_ForgetsTheAssumedPod_RequeuesIt_AndTheInformerConfirmsTheRetry()
    {
        await using var cluster = await SchedulerCluster.StartAsync(
            o => o.PodInitialBackoff = o.PodMaxBackoff = TimeSpan.FromSeconds(3),
            b => b.AddPlugin<FlakyPreBindPlugin>(FlakyPreBindPlugin.PluginName));
        var scheduler = cluster.Scheduler;
        var flaky = scheduler.Profiles[SchedulerOptions.DefaultSchedulerName].Plugins.OfType<FlakyPreBindPlugin>().Single();
        await cluster.CreateNodeAsync(TestObjects.Node("n1"));
        var pod = await cluster.CreatePodAsync(TestObjects.Pod("flaky", cpu: "1"));
        var uid = pod.Metadata.Uid;

        await SchedulerCluster.WaitForAsync(async () =>
            (await cluster.Client.GetAsync<V1Pod>("flaky", "default")).Status?.Conditions?.Any(c =>
                c is { Type: "PodScheduled", Status: "False", Reason: "SchedulerError" } && c.Message.Contains("volume attach failed", StringComparison.Ordinal)) == true,
            "the binding error reported on the pod");
        // Reported after Forget; the retry waits out its 3 s backoff, so the pod is neither assumed nor bound now.
        Assert.AreEqual(1, flaky.Calls);
        Assert.IsFalse(scheduler.Cache.Contains(uid), "forgotten after the failed binding");
        Assert.AreEqual(0, scheduler.Cache.AssumedPodCount);
        Assert.AreEqual(0, scheduler.Cache.Snapshot().Single().Requested.MilliCpu, "its cpu is free again");
        Assert.IsTrue(scheduler.Queue.Contains("default/flaky"), "requeued (in backoff)");

        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("flaky", "default")).Spec.NodeName == "n1", "the retry bound");
        Assert.AreEqual(2, flaky.Calls);
        await SchedulerCluster.WaitForAsync(() => Task.FromResult(scheduler.Cache.Contains(uid) && !scheduler.Cache.IsAssumed(uid)), "the informer's add confirming the pod");
        Assert.AreEqual(1000, scheduler.Cache.Snapshot().Single().Requested.MilliCpu);
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task PodDeletedWhileAssumed_IsRejectedAndForgotten_AndItsRoomReused()
    {
        await using var cluster = await SchedulerCluster.StartAsync(plugins: b => b.AddPlugin<ExtensionPointsIntegrationTests.GatePermitPlugin>(ExtensionPointsIntegrationTests.GatePermitPlugin.PluginName));
        var scheduler = cluster.Scheduler;
        var handle = scheduler.Profiles[SchedulerOptions.DefaultSchedulerName].Handle;
        await cluster.CreateNodeAsync(TestObjects.Node("n1", cpu: "1"));
        var pod = await cluster.CreatePodAsync(TestObjects.Pod("doomed", cpu: "1"));
        await SchedulerCluster.WaitForAsync(() => Task.FromResult(handle.GetWaitingPod(pod.Metadata.Uid) is not null), "the pod assumed and waiting on Permit");
        Assert.IsTrue(scheduler.Cache.IsAssumed(pod.Metadata.Uid));

        await cluster.Client.DeleteAsync<V1Pod>("doomed", "default", new DeleteOptions { GracePeriodSeconds = 0 });
        await SchedulerCluster.WaitForAsync(() => Task.FromResult(!scheduler.Cache.Contains(pod.Metadata.Uid) && handle.GetWaitingPod(pod.Metadata.Uid) is null),
            "the deleted pod rejected and out of the cache");
        Assert.IsFalse(scheduler.Queue.Contains("default/doomed"), "a deleted pod is not requeued");

        // The whole node is free again: a pod needing all of its cpu is assumed there.
        var next = await cluster.CreatePodAsync(TestObjects.Pod("next", cpu: "1"));
        await SchedulerCluster.WaitForAsync(() => Task.FromResult(handle.GetWaitingPod(next.Metadata.Uid)?.NodeName == "n1"), "the next pod assumed on the freed node");
        Assert.AreEqual(1, scheduler.Cache.AssumedPodCount);
    }

    /// <summary>A PreBind plugin whose first call fails with an error, as a volume attach might.</summary>
    internal sealed class FlakyPreBindPlugin : IPreBindPlugin
    {
        public const string PluginName = "FlakyPreBind";
        private int _calls;

        public string Name => PluginName;

        public int Calls => Volatile.Read(ref _calls);

        public Task<Status> PreBindAsync(CycleState state, V1Pod pod, string nodeName, CancellationToken cancellationToken) =>
            Task.FromResult(Interlocked.Increment(ref _calls) == 1 ? new Status(StatusCode.Error, ["volume attach failed"]) : Status.Success);
    }
}
