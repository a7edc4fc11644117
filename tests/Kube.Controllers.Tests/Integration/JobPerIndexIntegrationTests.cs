using k8s.Models;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class JobPerIndexIntegrationTests
{
    private static void NoBackoff(Kube.Controllers.Runtime.ControllerManagerOptions o) => o.JobPodFailureBackoff = TimeSpan.Zero;

    private static string IndexOf(V1Pod p) => p.Metadata.Annotations["batch.kubernetes.io/job-completion-index"];

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task BackoffLimitPerIndex_FailsAnIndexAfterItsRetries_OthersRunOn_ThenTheJobFailsWithFailedIndexes()
    {
        await using var cluster = await ControllerCluster.StartAsync(options: NoBackoff);
        var client = cluster.Client;
        var job = Jobs.Job("per", completions: 3, parallelism: 3, mode: "Indexed");
        job.Spec.BackoffLimitPerIndex = 1;
        await client.CreateAsync(job);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "per")).Count == 3, "3 indexed pods");
        var first = (await Jobs.ActivePodsAsync(cluster, "per")).Single(p => IndexOf(p) == "0");
        Assert.AreEqual("0", first.Metadata.Annotations["batch.kubernetes.io/job-index-failure-count"]);

        // Index 0 fails once: retried (its pod says one failure before it); fails again: the index is failed for good.
        await Jobs.FinishAsync(client, first, 1);
        V1Pod? retry = null;
        await ControllerCluster.WaitForAsync(async () =>
        {
            retry = (await Jobs.ActivePodsAsync(cluster, "per")).FirstOrDefault(p => IndexOf(p) == "0" && p.Metadata.Uid != first.Metadata.Uid);
            return retry is not null;
        }, "index 0 retried");
        Assert.AreEqual("1", retry!.Metadata.Annotations["batch.kubernetes.io/job-index-failure-count"]);
        await Jobs.FinishAsync(client, retry, 1);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.GetAsync(cluster, "per")).Status?.FailedIndexes == "0", "failedIndexes 0");
        Assert.IsFalse((await Jobs.ActivePodsAsync(cluster, "per")).Any(p => IndexOf(p) == "0"), "a failed index is not retried");
        Assert.IsNull(Jobs.Condition(await Jobs.GetAsync(cluster, "per"), "Failed"), "the other indexes still run");

        foreach (var p in (await Jobs.ActivePodsAsync(cluster, "per")).ToList()) await Jobs.FinishAsync(client, p, 0);
        await ControllerCluster.WaitForAsync(async () => Jobs.HasCondition(await Jobs.GetAsync(cluster, "per"), "Failed", "FailedIndexes"), "Failed: FailedIndexes");
        var done = await Jobs.GetAsync(cluster, "per");
        Assert.AreEqual("Job has failed indexes", Jobs.Condition(done, "Failed")!.Message);
        Assert.AreEqual("1,2", done.Status.CompletedIndexes);
        Assert.AreEqual(2, done.Status.Failed);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task FailIndexRule_FailsTheIndexAtOnce_AndMaxFailedIndexesFailsTheJob()
    {
        await using var cluster = await ControllerCluster.StartAsync(options: NoBackoff);
        var client = cluster.Client;
        var job = Jobs.Job("cap", completions: 4, parallelism: 4, mode: "Indexed");
        job.Spec.BackoffLimitPerIndex = 3;
        job.Spec.MaxFailedIndexes = 1;
        job.Spec.PodFailurePolicy = new V1PodFailurePolicy
        {
            Rules = [new V1PodFailurePolicyRule { Action = "FailIndex", OnExitCodes = new V1PodFailurePolicyOnExitCodesRequirement { OperatorProperty = "In", Values = [42] } }],
        };
        await client.CreateAsync(job);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "cap")).Count == 4, "4 indexed pods");
        var pods = (await Jobs.ActivePodsAsync(cluster, "cap")).ToDictionary(IndexOf);

        await Jobs.FinishAsync(client, pods["1"], 42);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.GetAsync(cluster, "cap")).Status?.FailedIndexes == "1", "index 1 failed by the FailIndex rule");
        Assert.IsNull(Jobs.Condition(await Jobs.GetAsync(cluster, "cap"), "FailureTarget"), "one failed index is within maxFailedIndexes");

        await Jobs.FinishAsync(client, pods["3"], 42);
        await ControllerCluster.WaitForAsync(async () =>
        {
            // Plays the kubelet: pods the controller deleted terminate.
            foreach (var p in (await cluster.PodsAsync("app=cap")).Where(p => p.Metadata.DeletionTimestamp is not null && p.Status?.Phase is not ("Failed" or "Succeeded")))
                await Jobs.FinishAsync(client, p, 143);
            return Jobs.HasCondition(await Jobs.GetAsync(cluster, "cap"), "Failed", "MaxFailedIndexesExceeded");
        }, "Failed: MaxFailedIndexesExceeded");
        var done = await Jobs.GetAsync(cluster, "cap");
        Assert.AreEqual("Job has exceeded the specified maximal number of failed indexes", Jobs.Condition(done, "Failed")!.Message);
        Assert.AreEqual("1,3", done.Status.FailedIndexes);
        Assert.AreEqual(0, (await Jobs.ActivePodsAsync(cluster, "cap")).Count, "the remaining pods were stopped");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task BackoffLimitPerIndex_BacksOffTheFailedIndexOnly()
    {
        await using var cluster = await ControllerCluster.StartAsync(options: o => o.JobPodFailureBackoff = TimeSpan.FromMinutes(1));
        var client = cluster.Client;
        var job = Jobs.Job("own", completions: 2, parallelism: 1, mode: "Indexed");
        job.Spec.BackoffLimitPerIndex = 2;
        await client.CreateAsync(job);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "own")).Count == 1, "one pod");
        var first = (await Jobs.ActivePodsAsync(cluster, "own")).Single();
        Assert.AreEqual("0", IndexOf(first));

        // Index 0 failed and waits a minute; the free slot goes to index 1 at once (a Job-wide backoff would hold it too).
        await Jobs.FinishAsync(client, first, 1);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "own")).Any(p => IndexOf(p) == "1"), "index 1 started");
        Assert.IsFalse((await Jobs.ActivePodsAsync(cluster, "own")).Any(p => IndexOf(p) == "0"), "index 0 is still backing off");
    }
}
