using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// Node-pressure eviction through kubectl: a <c>kube-host up</c> whose KubeletConfiguration lowers the bar so far
/// (evictionHard memory.available: 1000Ti) that the node is always under memory pressure.
/// </summary>
[TestClass]
public sealed class NodeEvictionE2ETests
{
    private static KubeHostProcess? _host;
    private static Kubectl? _kubectl;
    private static string _dir = "";

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        if (Kubectl.Path is null) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-evict-").FullName;
        var config = Path.Combine(_dir, "kubelet.yaml");
        await File.WriteAllTextAsync(config, """
            apiVersion: kubelet.config.k8s.io/v1beta1
            kind: KubeletConfiguration
            evictionHard:
              memory.available: 1000Ti
            evictionPressureTransitionPeriod: 30s
            """);
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"), extraArgs: $"--kubelet-config {config}");
        _kubectl = new Kubectl(_host.Kubeconfig, Path.Combine(_dir, "kubecache"));
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [TestMethod]
    public async Task LoweredThreshold_EvictsThePod_AndTheNodeReportsMemoryPressure()
    {
        Kubectl.RequireInstalled();
        var k = _kubectl!;
        var marker = $"{310000 + Random.Shared.Next(9999)}.{Random.Shared.Next(1000, 9999)}";
        var file = Path.Combine(_dir, "victim.yaml");
        // Bound to node-1 directly: the memory-pressure taint keeps the scheduler from placing new pods there.
        await File.WriteAllTextAsync(file, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: victim}
            spec:
              nodeName: node-1
              containers:
              - {name: main, image: busybox, command: ["sleep", "{{marker}}"]}
            """);
        await k.OkAsync($"create -f {file}");

        var row = "";
        var evicted = await Wait.UntilAsync(async () =>
        {
            var r = await k.RunAsync("get pod victim -o jsonpath={.status.phase}/{.status.reason}");
            row = r.Stdout.Trim();
            return row == "Failed/Evicted";
        }, TimeSpan.FromSeconds(60));
        Assert.IsTrue(evicted, $"the pod was not evicted; last row: {row}\n{_host!.Log}");
        StringAssert.StartsWith(await k.OkAsync("get pod victim -o jsonpath={.status.message}"), "The node was low on resource: memory. Threshold quantity: 1000Ti, available: ");

        Assert.AreEqual("True", await k.OkAsync("get node node-1 -o jsonpath={.status.conditions[?(@.type==\"MemoryPressure\")].status}"));
        StringAssert.Contains(await k.OkAsync("get node node-1 -o jsonpath={.spec.taints[*].key}"), "node.kubernetes.io/memory-pressure");
        var events = await k.OkAsync("get events --field-selector involvedObject.name=victim");
        StringAssert.Contains(events, "Evicted", events);
    }
}
