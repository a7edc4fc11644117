using System.Text.Json.Nodes;

namespace Kube.ApiServer.Tests.Kubectl;

/// <summary>
/// kubectl 1.32's <c>autoscale</c> sends an autoscaling/v1 HorizontalPodAutoscaler as protobuf; this runs the real kubectl
/// and reads the object back (in whichever version <c>kubectl get</c> prefers) to check the decoded fields.
/// </summary>
[TestClass]
public sealed class KubectlAutoscaleProtobufTests
{
    private static string Fmt(ToolResult r) => $"exit {r.ExitCode}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";

    private static async Task<ToolResult> RunOkAsync(KubectlRunner kubectl, params string[] args)
    {
        var r = await kubectl.RunArgsAsync(args);
        Assert.AreEqual(0, r.ExitCode, Fmt(r));
        Assert.IsFalse(r.Stderr.Contains("415", StringComparison.Ordinal), Fmt(r));
        return r;
    }

    [TestMethod]
    public async Task KubectlProtobuf_AutoscaleDeployment()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);

        await RunOkAsync(kubectl, "create", "deployment", "web", "--image=nginx");
        var created = await RunOkAsync(kubectl, "autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=60");
        StringAssert.Contains(created.Stdout, "web", Fmt(created));

        var get = await RunOkAsync(kubectl, "get", "hpa", "web", "-o", "json");
        var hpa = JsonNode.Parse(get.Stdout)!;
        Assert.AreEqual("HorizontalPodAutoscaler", hpa["kind"]!.GetValue<string>());
        var spec = hpa["spec"]!;
        var target = spec["scaleTargetRef"]!;
        Assert.AreEqual("Deployment", target["kind"]!.GetValue<string>(), hpa.ToJsonString());
        Assert.AreEqual("web", target["name"]!.GetValue<string>());
        Assert.AreEqual("apps/v1", target["apiVersion"]!.GetValue<string>());
        Assert.AreEqual(2, spec["minReplicas"]!.GetValue<int>());
        Assert.AreEqual(5, spec["maxReplicas"]!.GetValue<int>());

        var apiVersion = hpa["apiVersion"]!.GetValue<string>();
        if (apiVersion == "autoscaling/v1")
        {
            Assert.AreEqual(60, spec["targetCPUUtilizationPercentage"]!.GetValue<int>(), hpa.ToJsonString());
        }
        else
        {
            Assert.AreEqual("autoscaling/v2", apiVersion);
            var metric = spec["metrics"]!.AsArray().Single()!;
            Assert.AreEqual("Resource", metric["type"]!.GetValue<string>(), hpa.ToJsonString());
            Assert.AreEqual("cpu", metric["resource"]!["name"]!.GetValue<string>());
            Assert.AreEqual("Utilization", metric["resource"]!["target"]!["type"]!.GetValue<string>());
            Assert.AreEqual(60, metric["resource"]!["target"]!["averageUtilization"]!.GetValue<int>());
        }

        var table = await RunOkAsync(kubectl, "get", "hpa");
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(2, lines.Length, Fmt(table));
        StringAssert.StartsWith(lines[0], "NAME", Fmt(table));
        StringAssert.StartsWith(lines[1], "web ", Fmt(table));
    }
}
