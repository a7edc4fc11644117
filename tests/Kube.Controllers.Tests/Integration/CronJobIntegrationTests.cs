using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class CronJobIntegrationTests
{
    private static V1CronJob CronJob(string name, string schedule, string policy = "Allow", int? successfulHistory = null) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "CronJob",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1CronJobSpec
        {
            Schedule = schedule,
            ConcurrencyPolicy = policy,
            SuccessfulJobsHistoryLimit = successfulHistory,
            JobTemplate = new V1JobTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["cron"] = name } },
                Spec = Jobs.Job(name).Spec,
            },
        },
    };

    /// <summary>A fake clock for the controllers, started at the real now (the API server stamps creation with the real clock).</summary>
    private static FakeTimeProvider Clock() => new(DateTimeOffset.UtcNow);

    /// <summary>Moves the clock to one second past the next minute boundary; returns that boundary.</summary>
    private static DateTimeOffset AdvanceToNextMinute(FakeTimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var boundary = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1);
        clock.Advance(boundary.AddSeconds(1) - now);
        return boundary;
    }

    private static async Task<List<V1Job>> JobsOfAsync(ControllerCluster cluster, string name) =>
        (await cluster.Client.ListAsync<V1Job>("default", new ListOptions { LabelSelector = "cron=" + name })).Items
            .Where(j => j.Metadata.DeletionTimestamp is null).ToList();

    private static async Task CompleteJobAsync(ControllerCluster cluster, string jobName)
    {
        await ControllerCluster.WaitForAsync(async () =>
            (await cluster.PodsAsync("batch.kubernetes.io/job-name=" + jobName)).Any(Workloads.IsActive), $"a pod of {jobName}");
        var pod = (await cluster.PodsAsync("batch.kubernetes.io/job-name=" + jobName)).First(Workloads.IsActive);
        await Jobs.FinishAsync(cluster.Client, pod, 0);
        await ControllerCluster.WaitForAsync(async () =>
            Jobs.HasCondition(await cluster.Client.GetAsync<V1Job>(jobName, "default"), "Complete", "CompletionsReached"), $"{jobName} Complete");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task CronJob_StartsAJobEachScheduledMinute_TracksStatus_AndKeepsTheHistoryLimit()
    {
        var clock = Clock();
        await using var cluster = await ControllerCluster.StartAsync(options: o => o.JobPodFailureBackoff = TimeSpan.Zero, time: clock);
        var cj = await cluster.Client.CreateAsync(CronJob("tick", "* * * * *", successfulHistory: 1));

        var first = AdvanceToNextMinute(clock);
        var firstName = $"tick-{first.ToUnixTimeSeconds() / 60}";
        await ControllerCluster.WaitForAsync(async () => (await JobsOfAsync(cluster, "tick")).Any(j => j.Metadata.Name == firstName), firstName);
        var job = await cluster.Client.GetAsync<V1Job>(firstName, "default");
        Assert.AreEqual(cj.Metadata.Uid, job.Metadata.OwnerReferences.Single(r => r.Controller == true).Uid);
        Assert.AreEqual(first.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), job.Metadata.Annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]);
        await ControllerCluster.WaitForAsync(async () =>
        {
            var s = (await cluster.Client.GetAsync<V1CronJob>("tick", "default")).Status;
            return s?.Active?.SingleOrDefault()?.Name == firstName && s.LastScheduleTime == first.UtcDateTime;
        }, "status.active and lastScheduleTime");

        await CompleteJobAsync(cluster, firstName);
        await ControllerCluster.WaitForAsync(async () =>
        {
            var s = (await cluster.Client.GetAsync<V1CronJob>("tick", "default")).Status;
            return s is { Active: null or { Count: 0 }, LastSuccessfulTime: not null };
        }, "the finished Job leaves status.active and sets lastSuccessfulTime");

        var second = AdvanceToNextMinute(clock);
        var secondName = $"tick-{second.ToUnixTimeSeconds() / 60}";
        await ControllerCluster.WaitForAsync(async () => (await JobsOfAsync(cluster, "tick")).Any(j => j.Metadata.Name == secondName), secondName);
        await CompleteJobAsync(cluster, secondName);
        await ControllerCluster.WaitForAsync(async () =>
        {
            var names = (await JobsOfAsync(cluster, "tick")).Select(j => j.Metadata.Name).ToList();
            return names.Count == 1 && names[0] == secondName;
        }, "only the newest successful Job kept (successfulJobsHistoryLimit 1)");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task CronJob_Forbid_SkipsWhileAJobRuns_AndReplace_DeletesIt()
    {
        var clock = Clock();
        await using var cluster = await ControllerCluster.StartAsync(time: clock);
        await cluster.Client.CreateAsync(CronJob("solo", "* * * * *", policy: "Forbid"));
        var first = AdvanceToNextMinute(clock);
        var firstName = $"solo-{first.ToUnixTimeSeconds() / 60}";
        await ControllerCluster.WaitForAsync(async () => (await JobsOfAsync(cluster, "solo")).Count == 1, "the first Job");

        AdvanceToNextMinute(clock);
        await ControllerCluster.WaitForAsync(async () =>
            (await cluster.Client.ListAsync<Eventsv1Event>("default")).Items.Any(e => e.Reason == "JobAlreadyActive" && e.Regarding?.Name == "solo"),
            "a JobAlreadyActive event");
        Assert.AreEqual(1, (await JobsOfAsync(cluster, "solo")).Count, "Forbid starts no second Job");

        await cluster.ModifyAsync<V1CronJob>("solo", "default", c => c.Spec.ConcurrencyPolicy = "Replace");
        var third = AdvanceToNextMinute(clock);
        var thirdName = $"solo-{third.ToUnixTimeSeconds() / 60}";
        await ControllerCluster.WaitForAsync(async () =>
        {
            var names = (await JobsOfAsync(cluster, "solo")).Select(j => j.Metadata.Name).ToList();
            return names.Count == 1 && names[0] == thirdName;
        }, "Replace deletes the running Job and starts the new one");
        await ControllerCluster.WaitForAsync(async () =>
            (await cluster.Client.GetAsync<V1CronJob>("solo", "default")).Status?.Active?.SingleOrDefault()?.Name == thirdName, "status.active names the new Job");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task CronJob_Suspended_StartsNothing()
    {
        var clock = Clock();
        await using var cluster = await ControllerCluster.StartAsync(time: clock);
        var manifest = CronJob("paused", "* * * * *");
        manifest.Spec.Suspend = true;
        await cluster.Client.CreateAsync(manifest);
        await cluster.Client.CreateAsync(CronJob("witness", "* * * * *"));
        AdvanceToNextMinute(clock);
        await ControllerCluster.WaitForAsync(async () => (await JobsOfAsync(cluster, "witness")).Count == 1, "the unsuspended CronJob's Job");
        Assert.AreEqual(0, (await JobsOfAsync(cluster, "paused")).Count);
    }
}
