using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// The built-in Job, CronJob and ServiceAccount controllers in a real <c>kube-host up</c>, driven by the real kubectl:
/// Jobs run real processes to completion, a CronJob starts Jobs on its schedule, and new namespaces get their
/// <c>default</c> ServiceAccount.
/// </summary>
[TestClass]
public sealed class ControllersKubectlTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);
    private static KubectlHost? _cluster;

    private static KubectlHost Cluster => _cluster ?? throw new InvalidOperationException("the cluster did not start");

    private static Kubectl K => Cluster.Kubectl;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _) => _cluster = await KubectlHost.StartAsync("controllers");

    [ClassCleanup]
    public static Task StopClusterAsync() => KubectlHost.StopAsync(_cluster);

    [TestInitialize]
    public void RequireKubectl() => Kubectl.RequireInstalled();

    [TestMethod]
    public async Task KubectlCreateJob_RunsToComplete_AndKubectlWaitSeesIt()
    {
        StringAssert.Contains(await K.OkAsync("create job ctl-job --image=busybox -- sh -c 'exit 0'"), "job.batch/ctl-job created");
        var wait = await K.RunAsync("wait --for=condition=complete job/ctl-job --timeout=120s", timeout: Long);
        Assert.AreEqual(0, wait.ExitCode, $"{wait.Stdout}\n{wait.Stderr}\n{await K.RunAsync("get job,pods -o wide")}\n{Cluster.Host.Log}");
        StringAssert.Contains(wait.Stdout, "condition met");
        Assert.AreEqual("1 True", await K.OkAsync("get job ctl-job -o 'jsonpath={.status.succeeded} {.status.conditions[?(@.type==\"SuccessCriteriaMet\")].status}'"));
        var pods = await K.OkAsync("get pods -l batch.kubernetes.io/job-name=ctl-job -o 'jsonpath={.items[*].status.phase}'");
        Assert.AreEqual("Succeeded", pods.Trim());
    }

    [TestMethod]
    public async Task KubectlCreateJob_WithFailingCommand_FailsWithBackoffLimitExceeded()
    {
        await K.OkAsync("create -f -", stdin: """
            apiVersion: batch/v1
            kind: Job
            metadata: {name: ctl-fail}
            spec:
              backoffLimit: 0
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - {name: main, image: busybox, command: ["sh", "-c", "exit 3"]}
            """);
        var wait = await K.RunAsync("wait --for=condition=failed job/ctl-fail --timeout=120s", timeout: Long);
        Assert.AreEqual(0, wait.ExitCode, $"{wait.Stdout}\n{wait.Stderr}\n{await K.RunAsync("get job,pods -o wide")}");
        Assert.AreEqual("BackoffLimitExceeded", await K.OkAsync("get job ctl-fail -o 'jsonpath={.status.conditions[?(@.type==\"Failed\")].reason}'"));
    }

    [TestMethod]
    public async Task KubectlCreateCronJob_StartsAJobOnSchedule_AndCreateJobFromCronJobWorks()
    {
        StringAssert.Contains(await K.OkAsync("create cronjob ctl-cron --image=busybox --schedule='* * * * *' -- sh -c 'exit 0'"), "cronjob.batch/ctl-cron created");

        // kubectl builds the Job from the CronJob's template itself (API-side only).
        StringAssert.Contains(await K.OkAsync("create job ctl-manual --from=cronjob/ctl-cron"), "job.batch/ctl-manual created");
        var manual = await K.RunAsync("wait --for=condition=complete job/ctl-manual --timeout=120s", timeout: Long);
        Assert.AreEqual(0, manual.ExitCode, manual.Stdout + manual.Stderr);

        // The schedule fires at the next minute boundary: a Job named ctl-cron-<minutes> appears and completes.
        string? scheduled = null;
        var started = await Wait.UntilAsync(async () =>
        {
            var r = await K.RunAsync("get jobs -o 'jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}'");
            scheduled = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .FirstOrDefault(n => System.Text.RegularExpressions.Regex.IsMatch(n, @"^ctl-cron-\d+$"));
            return scheduled is not null;
        }, TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(1));
        Assert.IsTrue(started, "no scheduled Job within 100 s:\n" + (await K.RunAsync("get cronjobs,jobs -o wide")).Stdout);
        var done = await K.RunAsync($"wait --for=condition=complete job/{scheduled} --timeout=120s", timeout: Long);
        Assert.AreEqual(0, done.ExitCode, done.Stdout + done.Stderr);
        Assert.IsTrue(await Wait.UntilAsync(async () =>
            (await K.RunAsync("get cronjob ctl-cron -o 'jsonpath={.status.lastSuccessfulTime}'")).Stdout.Trim().Length > 0, TimeSpan.FromSeconds(30)),
            "lastSuccessfulTime never set");
        StringAssert.Contains(await K.OkAsync("get cronjob ctl-cron -o 'jsonpath={.status.lastScheduleTime}'"), "T");
    }

    [TestMethod]
    public async Task NewNamespace_GetsTheDefaultServiceAccount()
    {
        await K.OkAsync("create namespace ctl-sa");
        Assert.IsTrue(await Wait.UntilAsync(async () => (await K.RunAsync("get serviceaccount default -n ctl-sa")).ExitCode == 0, TimeSpan.FromSeconds(30)),
            "ctl-sa/default never appeared");
    }
}
