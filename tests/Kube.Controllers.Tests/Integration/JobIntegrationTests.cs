using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class JobIntegrationTests
{
    private static void NoBackoff(Kube.Controllers.Runtime.ControllerManagerOptions o) => o.JobPodFailureBackoff = TimeSpan.Zero;

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task Job_NonIndexed_RunsParallelismPods_UntilCompletions_ThenIsComplete()
    {
        await using var cluster = await ControllerCluster.StartAsync(options: NoBackoff);
        var client = cluster.Client;
        var job = await client.CreateAsync(Jobs.Job("batch", completions: 3, parallelism: 2));

        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "batch")).Count == 2, "2 active pods");
        var pods = await Jobs.ActivePodsAsync(cluster, "batch");
        foreach (var p in pods)
        {
            Assert.IsTrue(p.Metadata.Name.StartsWith("batch-", StringComparison.Ordinal), p.Metadata.Name);
            Assert.AreEqual("Never", p.Spec.RestartPolicy);
            Assert.AreEqual(job.Metadata.Uid, p.Metadata.OwnerReferences.Single(r => r.Controller == true).Uid);
            Assert.AreEqual("batch", p.Metadata.Labels["batch.kubernetes.io/job-name"]);
            Assert.AreEqual(job.Metadata.Uid, p.Metadata.Labels["batch.kubernetes.io/controller-uid"]);
            CollectionAssert.Contains(p.Metadata.Finalizers.ToList(), "batch.kubernetes.io/job-tracking");
        }

        await ControllerCluster.WaitForAsync(async () => (await Jobs.GetAsync(cluster, "batch")).Status is { Active: 2, StartTime: not null }, "status.active 2 and startTime");
        foreach (var p in pods) await Jobs.FinishAsync(client, p, 0);
        await ControllerCluster.WaitForAsync(async () =>
            (await Jobs.ActivePodsAsync(cluster, "batch")).Count == 1 && (await Jobs.GetAsync(cluster, "batch")).Status?.Succeeded == 2,
            "one more pod for the last completion, 2 succeeded");
        var before = (await cluster.PodsAsync("app=batch")).Where(p => p.Status?.Phase == "Succeeded").ToList();
        Assert.IsTrue(before.All(p => p.Metadata.Finalizers is null or { Count: 0 }), "counted pods lose the tracking finalizer");

        await Jobs.FinishAsync(client, (await Jobs.ActivePodsAsync(cluster, "batch")).Single(), 0);
        await ControllerCluster.WaitForAsync(async () => Jobs.HasCondition(await Jobs.GetAsync(cluster, "batch"), "Complete", "CompletionsReached"), "Complete");
        var done = await Jobs.GetAsync(cluster, "batch");
        Assert.IsTrue(Jobs.HasCondition(done, "SuccessCriteriaMet", "CompletionsReached"));
        Assert.AreEqual("Reached expected number of succeeded pods", Jobs.Condition(done, "Complete")!.Message);
        Assert.AreEqual(3, done.Status.Succeeded);
        Assert.AreEqual(0, done.Status.Active ?? 0);
        Assert.AreEqual(0, done.Status.Failed ?? 0);
        Assert.IsNotNull(done.Status.CompletionTime);
        Assert.AreEqual(3, (await cluster.PodsAsync("app=batch")).Count, "no pod beyond completions");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task Job_Indexed_GivesEachPodItsIndex_ReplacesFailedIndex_AndReportsCompletedIndexes()
    {
        await using var cluster = await ControllerCluster.StartAsync(options: NoBackoff);
        var client = cluster.Client;
        await client.CreateAsync(Jobs.Job("idx", completions: 3, parallelism: 3, mode: "Indexed"));
        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "idx")).Count == 3, "3 indexed pods");
        var pods = await Jobs.ActivePodsAsync(cluster, "idx");
        var byIndex = pods.ToDictionary(p => p.Metadata.Annotations["batch.kubernetes.io/job-completion-index"]);
        CollectionAssert.AreEquivalent(new[] { "0", "1", "2" }, byIndex.Keys.ToList());
        foreach (var (ix, p) in byIndex)
        {
            Assert.AreEqual(ix, p.Metadata.Labels["batch.kubernetes.io/job-completion-index"]);
            Assert.IsTrue(p.Metadata.Name.StartsWith($"idx-{ix}-", StringComparison.Ordinal), p.Metadata.Name);
            Assert.AreEqual($"idx-{ix}", p.Spec.Hostname);
            var env = p.Spec.Containers[0].Env.Single(e => e.Name == "JOB_COMPLETION_INDEX");
            Assert.AreEqual("metadata.annotations['batch.kubernetes.io/job-completion-index']", env.ValueFrom.FieldRef.FieldPath);
        }

        await Jobs.FinishAsync(client, byIndex["1"], 0);
        await Jobs.FinishAsync(client, byIndex["0"], 1);
        await ControllerCluster.WaitForAsync(async () =>
        {
            var s = (await Jobs.GetAsync(cluster, "idx")).Status;
            var active = await Jobs.ActivePodsAsync(cluster, "idx");
            return s?.CompletedIndexes == "1" && s.Failed == 1 && active.Count == 2
                && active.Any(p => p.Metadata.Annotations["batch.kubernetes.io/job-completion-index"] == "0" && p.Metadata.Uid != byIndex["0"].Metadata.Uid);
        }, "index 1 completed and index 0 replaced");

        foreach (var p in await Jobs.ActivePodsAsync(cluster, "idx")) await Jobs.FinishAsync(client, p, 0);
        await ControllerCluster.WaitForAsync(async () => Jobs.HasCondition(await Jobs.GetAsync(cluster, "idx"), "Complete", "CompletionsReached"), "Complete");
        var done = await Jobs.GetAsync(cluster, "idx");
        Assert.AreEqual("0-2", done.Status.CompletedIndexes);
        Assert.AreEqual(3, done.Status.Succeeded);
        Assert.AreEqual(1, done.Status.Failed);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task Job_FailsWithBackoffLimitExceeded_AfterTooManyFailedPods()
    {
        await using var cluster = await ControllerCluster.StartAsync(options: NoBackoff);
        var client = cluster.Client;
        await client.CreateAsync(Jobs.Job("flaky", backoffLimit: 1));
        for (var round = 1; round <= 2; round++)
        {
            await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "flaky")).Count == 1, $"pod of round {round}");
            await Jobs.FinishAsync(client, (await Jobs.ActivePodsAsync(cluster, "flaky")).Single(), 1);
            var r = round;
            await ControllerCluster.WaitForAsync(async () => (await Jobs.GetAsync(cluster, "flaky")).Status?.Failed == r, $"failed {round}");
        }

        await ControllerCluster.WaitForAsync(async () => Jobs.HasCondition(await Jobs.GetAsync(cluster, "flaky"), "Failed", "BackoffLimitExceeded"), "Failed");
        var job = await Jobs.GetAsync(cluster, "flaky");
        Assert.IsTrue(Jobs.HasCondition(job, "FailureTarget", "BackoffLimitExceeded"));
        Assert.AreEqual("Job has reached the specified backoff limit", Jobs.Condition(job, "Failed")!.Message);
        Assert.IsNull(job.Status.CompletionTime);
        Assert.AreEqual(0, (await Jobs.ActivePodsAsync(cluster, "flaky")).Count);
        Assert.AreEqual(2, (await cluster.PodsAsync("app=flaky")).Count);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task Job_PodFailurePolicy_FailJobOnExitCode_FailsAtOnce()
    {
        await using var cluster = await ControllerCluster.StartAsync(options: NoBackoff);
        var client = cluster.Client;
        var manifest = Jobs.Job("pfp", backoffLimit: 6);
        manifest.Spec.PodFailurePolicy = new V1PodFailurePolicy
        {
            Rules =
            [
                new V1PodFailurePolicyRule { Action = "FailJob", OnExitCodes = new V1PodFailurePolicyOnExitCodesRequirement { OperatorProperty = "In", Values = [42] } },
            ],
        };
        await client.CreateAsync(manifest);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "pfp")).Count == 1, "a pod");
        await Jobs.FinishAsync(client, (await Jobs.ActivePodsAsync(cluster, "pfp")).Single(), 42);
        await ControllerCluster.WaitForAsync(async () => Jobs.HasCondition(await Jobs.GetAsync(cluster, "pfp"), "Failed", "PodFailurePolicy"), "Failed by the pod failure policy");
        StringAssert.Contains(Jobs.Condition(await Jobs.GetAsync(cluster, "pfp"), "Failed")!.Message, "exit code 42");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task Job_Suspended_RunsNoPods_UntilResumed()
    {
        await using var cluster = await ControllerCluster.StartAsync(options: NoBackoff);
        var client = cluster.Client;
        await client.CreateAsync(Jobs.Job("held", suspend: true));
        await ControllerCluster.WaitForAsync(async () => Jobs.HasCondition(await Jobs.GetAsync(cluster, "held"), "Suspended", "JobSuspended"), "Suspended");
        Assert.AreEqual(0, (await cluster.PodsAsync("app=held")).Count);
        Assert.IsNull((await Jobs.GetAsync(cluster, "held")).Status.StartTime);

        await cluster.ModifyAsync<V1Job>("held", "default", j => j.Spec.Suspend = false);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "held")).Count == 1, "a pod after resuming");
        await ControllerCluster.WaitForAsync(async () =>
        {
            var s = await Jobs.GetAsync(cluster, "held");
            return Jobs.Condition(s, "Suspended") is { Status: "False", Reason: "JobResumed" } && s.Status.StartTime is not null;
        }, "Suspended False (JobResumed) and a startTime");

        // Suspending again deletes the running pod.
        await cluster.ModifyAsync<V1Job>("held", "default", j => j.Spec.Suspend = true);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "held")).Count == 0, "the pod deleted on suspend");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task Job_ActiveDeadlineAndBackoff_FollowTheControllersClock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = await ControllerCluster.StartAsync(time: clock);
        var client = cluster.Client;
        var manifest = Jobs.Job("timed", backoffLimit: 6);
        manifest.Spec.ActiveDeadlineSeconds = 100;
        await client.CreateAsync(manifest);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "timed")).Count == 1, "a pod");
        var first = (await Jobs.ActivePodsAsync(cluster, "timed")).Single();
        await Jobs.FinishAsync(client, first, 1, clock.GetUtcNow().UtcDateTime);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.GetAsync(cluster, "timed")).Status?.Failed == 1, "failed 1");

        // The replacement waits for the 10 s pod-failure backoff of the controllers' clock (the clock moves 1 s per poll,
        // so a requeue armed a moment late still fires).
        var failedAt = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.AreEqual(0, (await Jobs.ActivePodsAsync(cluster, "timed")).Count, "no replacement within the backoff");
        await ControllerCluster.WaitForAsync(async () =>
        {
            if ((await Jobs.ActivePodsAsync(cluster, "timed")).Count == 1) return true;
            clock.Advance(TimeSpan.FromSeconds(1));
            return false;
        }, "a replacement after the backoff");
        Assert.IsTrue(clock.GetUtcNow() - failedAt >= TimeSpan.FromSeconds(9), $"replaced after {clock.GetUtcNow() - failedAt}");

        // Past activeDeadlineSeconds the running pod is deleted and the Job fails with DeadlineExceeded.
        await ControllerCluster.WaitForAsync(async () =>
        {
            if (Jobs.HasCondition(await Jobs.GetAsync(cluster, "timed"), "Failed", "DeadlineExceeded")) return true;
            clock.Advance(TimeSpan.FromSeconds(5));
            return false;
        }, "Failed (DeadlineExceeded)");
        var job = await Jobs.GetAsync(cluster, "timed");
        Assert.AreEqual("Job was active longer than specified deadline", Jobs.Condition(job, "Failed")!.Message);
        Assert.AreEqual(2, job.Status.Failed, "the deleted pod counts as failed: " + k8s.KubernetesJson.Serialize(job.Status));
        Assert.AreEqual(0, (await Jobs.ActivePodsAsync(cluster, "timed")).Count);
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task Job_TtlSecondsAfterFinished_DeletesTheJobAndItsPods()
    {
        await using var cluster = await ControllerCluster.StartAsync(options: NoBackoff);
        var client = cluster.Client;
        var manifest = Jobs.Job("brief");
        manifest.Spec.TtlSecondsAfterFinished = 0;
        await client.CreateAsync(manifest);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "brief")).Count == 1, "a pod");
        await Jobs.FinishAsync(client, (await Jobs.ActivePodsAsync(cluster, "brief")).Single(), 0);
        await ControllerCluster.WaitForAsync(async () =>
        {
            try
            {
                await Jobs.GetAsync(cluster, "brief");
                return false;
            }
            catch (NotFoundException)
            {
                return (await cluster.PodsAsync("app=brief")).Count == 0;
            }
        }, "the Job and its pod to be deleted");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task Job_Indexed_SuccessPolicy_CompletesWhenItsIndexesSucceed_AndStopsTheRest()
    {
        await using var cluster = await ControllerCluster.StartAsync(options: NoBackoff);
        var client = cluster.Client;
        var manifest = Jobs.Job("leader", completions: 3, parallelism: 3, mode: "Indexed");
        manifest.Spec.SuccessPolicy = new V1SuccessPolicy { Rules = [new V1SuccessPolicyRule { SucceededIndexes = "0" }] };
        await client.CreateAsync(manifest);
        await ControllerCluster.WaitForAsync(async () => (await Jobs.ActivePodsAsync(cluster, "leader")).Count == 3, "3 indexed pods");
        var zero = (await Jobs.ActivePodsAsync(cluster, "leader")).Single(p => p.Metadata.Annotations["batch.kubernetes.io/job-completion-index"] == "0");
        await Jobs.FinishAsync(client, zero, 0);
        await ControllerCluster.WaitForAsync(async () => Jobs.HasCondition(await Jobs.GetAsync(cluster, "leader"), "Complete", "SuccessPolicy"), "Complete (SuccessPolicy)");
        var job = await Jobs.GetAsync(cluster, "leader");
        Assert.AreEqual("Matched rules at index 0", Jobs.Condition(job, "SuccessCriteriaMet")!.Message);
        Assert.AreEqual("0", job.Status.CompletedIndexes);
        Assert.AreEqual(0, (await Jobs.ActivePodsAsync(cluster, "leader")).Count, "the other indexes are stopped");
    }
}
