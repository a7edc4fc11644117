using k8s;
using k8s.Models;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>The README quick start, through the real kubectl and KubernetesClient against a real kube-host process.</summary>
[TestClass]
public sealed class QuickstartTests
{
    private static KubeHostProcess? _host;
    private static Kubectl? _kubectl;
    private static string _dir = "";

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        if (Kubectl.Path is null) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-quick-").FullName;
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"));
        _kubectl = new Kubectl(_host.Kubeconfig, Path.Combine(_dir, "kubecache"));
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [TestMethod]
    public async Task GetNodes_ShowsNode1Ready()
    {
        Kubectl.RequireInstalled();
        var ready = await Wait.UntilAsync(async () =>
        {
            var r = await _kubectl!.RunAsync("get nodes --no-headers");
            return r.ExitCode == 0 && r.Stdout.Split('\n').Any(l => l.StartsWith("node-1 ") && l.Contains(" Ready "));
        }, TimeSpan.FromSeconds(60));
        Assert.IsTrue(ready, "node-1 never showed Ready:\n" + (await _kubectl!.RunAsync("get nodes")).Stdout + _host!.Log);
    }

    [TestMethod]
    public async Task Deployment_RollsOut_AsRealProcesses_AndDeleteStopsThem()
    {
        Kubectl.RequireInstalled();
        var k = _kubectl!;
        var seconds = 3600 + Random.Shared.Next(1000, 5000);
        var marker = $"sleep {seconds}";
        var file = Path.Combine(_dir, "demo.yaml");
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
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(_host!.Kubeconfig);
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
