using k8s;
using k8s.Models;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>The README quick start, through the real kubectl and KubernetesClient against a real kube-host process.</summary>
[TestClass]
public sealed class QuickstartTests
{
    private static KubectlHost? _cluster;

    private static KubectlHost Cluster => _cluster ?? throw new InvalidOperationException("the cluster did not start");

    private static Kubectl K => Cluster.Kubectl;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _) => _cluster = await KubectlHost.StartAsync("quick");

    [ClassCleanup]
    public static Task StopClusterAsync() => KubectlHost.StopAsync(_cluster);

    [TestMethod]
    public async Task GetNodes_ShowsNode1Ready()
    {
        Kubectl.RequireInstalled();
        var ready = await Wait.UntilAsync(async () =>
        {
            var r = await K.RunAsync("get nodes --no-headers");
            return r.ExitCode == 0 && r.Stdout.Split('\n').Any(l => l.StartsWith("node-1 ") && l.Contains(" Ready "));
        }, TimeSpan.FromSeconds(60));
        Assert.IsTrue(ready, "node-1 never showed Ready:\n" + (await K.RunAsync("get nodes")).Stdout + Cluster.Host.Log);
    }

    [TestMethod]
    public async Task Deployment_RollsOut_AsRealProcesses_AndDeleteStopsThem()
    {
        Kubectl.RequireInstalled();
        var k = K;
        var seconds = 3600 + Random.Shared.Next(1000, 5000);
        var marker = $"sleep {seconds}";
        var file = Path.Combine(Cluster.Dir, "demo.yaml");
        await File.WriteAllTextAsync(file, Manifests.SleepDeployment("demo", 3, seconds));

        await k.OkAsync($"create -f {file}");
        await k.OkAsync("rollout status deployment/demo --timeout=120s", timeout: TimeSpan.FromSeconds(140));

        var wide = await k.OkAsync("get pods -l app=demo -o wide --no-headers");
        var rows = wide.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(3, rows.Length, wide);
        foreach (var row in rows)
        {
            StringAssert.Contains(row, "Running");
            StringAssert.Contains(row, "node-1");
            StringAssert.Matches(row, new System.Text.RegularExpressions.Regex(@"\b127\.\d+\.\d+\.\d+\b"));
        }
        Assert.AreEqual(3, Processes.FindByCommandLine(marker).Count, "one host process per pod container");

        // The same state through the official C# client.
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(Cluster.Host.Kubeconfig);
        using var client = new Kubernetes(config);
        var pods = await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=demo");
        Assert.AreEqual(3, pods.Items.Count);
        Assert.IsTrue(pods.Items.All(p => p.Status?.Phase == "Running" && !string.IsNullOrEmpty(p.Status.PodIP)));
        var deploy = await client.AppsV1.ReadNamespacedDeploymentAsync("demo", "default");
        Assert.AreEqual(3, deploy.Status?.AvailableReplicas);

        await k.OkAsync("delete deployment demo --timeout=60s", timeout: TimeSpan.FromSeconds(70));
        var gone = await Wait.UntilAsync(async () =>
        {
            var r = await k.RunAsync("get pods -l app=demo --no-headers");
            return r.ExitCode == 0 && r.Stdout.Trim().Length == 0 && Processes.FindByCommandLine(marker).Count == 0;
        }, TimeSpan.FromSeconds(30));
        Assert.IsTrue(gone, "pods or processes still there 30 s after deleting the Deployment:\n" + (await k.RunAsync("get pods,rs")).Stdout);
        var rs = await k.OkAsync("get rs -l app=demo --no-headers");
        Assert.AreEqual("", rs.Trim(), "the ReplicaSet is garbage-collected");
    }
}
