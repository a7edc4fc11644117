using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kube.ApiServer.Tests.Kubectl;

/// <summary>
/// One HorizontalPodAutoscaler in both served versions: stored as autoscaling/v2, v1 converted both ways with
/// upstream's annotations for what v1 cannot hold; and the table columns kubectl users know for HPAs, Jobs and CronJobs.
/// </summary>
[TestClass]
public sealed class HorizontalPodAutoscalerVersionsTests
{
    private static string Fmt(ToolResult r) => $"exit {r.ExitCode}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";

    private static async Task<string> OkAsync(KubectlRunner kubectl, params string[] args)
    {
        var r = await kubectl.RunArgsAsync(args);
        Assert.AreEqual(0, r.ExitCode, Fmt(r));
        return r.Stdout;
    }

    [TestMethod]
    public async Task V1Autoscale_IsReadAsV2_AndV2OnlyFields_SurviveAV1Update()
    {
        await using var cluster = await TestCluster.StartAsync();

        // kubectl autoscale's shape, written as v1
        var v1 = """{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":4,"targetCPUUtilizationPercentage":60}}""";
        var created = await cluster.PostAsync("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers", v1);
        Assert.AreEqual(201, created.Code, created.Body?.ToJsonString());
        var asV2 = await cluster.GetAsync("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web");
        Assert.AreEqual("autoscaling/v2", asV2.Body!["apiVersion"]!.GetValue<string>());
        var metric = asV2.Body["spec"]!["metrics"]!.AsArray().Single()!;
        Assert.AreEqual("cpu", metric["resource"]!["name"]!.GetValue<string>(), asV2.Body.ToJsonString());
        Assert.AreEqual(60, metric["resource"]!["target"]!["averageUtilization"]!.GetValue<int>());
        Assert.IsNull(asV2.Body["spec"]!["targetCPUUtilizationPercentage"]);

        // a v2 object with a memory metric and behavior, read and written back as v1, keeps both
        var v2 = """{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"mem"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":4,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}},{"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}}],"behavior":{"scaleDown":{"stabilizationWindowSeconds":60}}}}""";
        Assert.AreEqual(201, (await cluster.PostAsync("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", v2)).Code);
        var asV1 = await cluster.GetAsync("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/mem");
        Assert.AreEqual(70, asV1.Body!["spec"]!["targetCPUUtilizationPercentage"]!.GetValue<int>(), asV1.Body.ToJsonString());
        Assert.IsNull(asV1.Body["spec"]!["metrics"]);
        StringAssert.Contains(asV1.Body["metadata"]!["annotations"]!["autoscaling.alpha.kubernetes.io/metrics"]!.GetValue<string>(), "memory");

        asV1.Body["spec"]!["maxReplicas"] = 6;
        var put = await cluster.SendAsync(HttpMethod.Put, "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/mem", asV1.Body.ToJsonString(), "application/json");
        Assert.AreEqual(200, put.Code, put.Body?.ToJsonString());
        var back = (await cluster.GetAsync("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/mem")).Body!;
        Assert.AreEqual(6, back["spec"]!["maxReplicas"]!.GetValue<int>());
        CollectionAssert.AreEqual(new[] { "cpu", "memory" }, back["spec"]!["metrics"]!.AsArray().Select(m => m!["resource"]!["name"]!.GetValue<string>()).ToArray(), back.ToJsonString());
        Assert.AreEqual(60, back["spec"]!["behavior"]!["scaleDown"]!["stabilizationWindowSeconds"]!.GetValue<int>());
        Assert.IsNull(back["metadata"]!["annotations"], "the v1 annotations are not stored in v2");
    }

    [TestMethod]
    public async Task Kubectl_Tables_ForHpaJobAndCronJob()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);
        await OkAsync(kubectl, "create", "deployment", "web", "--image=busybox");
        await OkAsync(kubectl, "autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=60");
        await OkAsync(kubectl, "create", "job", "once", "--image=busybox", "--", "true");
        await OkAsync(kubectl, "create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "true");

        var hpa = (await OkAsync(kubectl, "get", "hpa")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        StringAssert.Matches(hpa[0], new Regex(@"^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$"));
        StringAssert.Matches(hpa[1], new Regex(@"^web\s+Deployment/web\s+cpu: <unknown>/60%\s+2\s+5\s+0\s+\S+$"));
        var job = (await OkAsync(kubectl, "get", "job")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        StringAssert.Matches(job[0], new Regex(@"^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$"));
        StringAssert.Matches(job[1], new Regex(@"^once\s+Running\s+0/1\s+"));
        var cron = (await OkAsync(kubectl, "get", "cronjob")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        StringAssert.Matches(cron[0], new Regex(@"^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$"));
        StringAssert.Matches(cron[1], new Regex(@"^tick\s+\*/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\S+$"));
    }
}
