using k8s;
using k8s.Models;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// The scheduler through the real kubectl against a real <c>kube-host up --nodes 0 --simulated-nodes 3</c>: node
/// affinity, taints and tolerations, topology spread over zone labels, upstream's FailedScheduling message, preemption,
/// and the samples/CustomScheduler process as a second scheduler. Nodes sim-1..3 are labelled zone a, b, c; sim-2 has
/// disktype=ssd. Each test works in its own namespace.
/// </summary>
[TestClass]
public sealed class SchedulingE2ETests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static KubeHostProcess? _host;
    private static Kubectl? _kubectl;
    private static string _dir = "";

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        if (Kubectl.Path is null) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-sched-").FullName;
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"), extraArgs: "--nodes 0 --simulated-nodes 3");
        _kubectl = new Kubectl(_host.Kubeconfig, Path.Combine(_dir, "kubecache"));
        var ready = await Wait.UntilAsync(async () =>
        {
            var r = await _kubectl.RunAsync("get nodes --no-headers");
            return r.ExitCode == 0 && r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(" Ready ")) == 3;
        }, Deadline);
        Assert.IsTrue(ready, "3 simulated nodes never became Ready:\n" + _host.Log);
        var zone = 'a';
        for (var i = 1; i <= 3; i++) await _kubectl.OkAsync($"label node sim-{i} topology.kubernetes.io/zone={zone++} --overwrite");
        await _kubectl.OkAsync("label node sim-2 disktype=ssd --overwrite");
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static async Task<string> NamespaceAsync(string name)
    {
        Kubectl.RequireInstalled();
        await _kubectl!.OkAsync($"create namespace {name}");
        return name;
    }

    private static string PodYaml(string name, string ns, string cpu = "10m", string extraSpec = "", string labels = "app: demo") => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          namespace: {ns}
          labels:
            {labels}
        spec:
          terminationGracePeriodSeconds: 1
        {Indent(extraSpec, 2)}
          containers:
          - name: c
            image: busybox
            command: ["sleep", "3600"]
            resources:
              requests:
                cpu: {cpu}
        """;

    private static string Indent(string text, int spaces) =>
        string.Join('\n', text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => new string(' ', spaces) + l));

    private static async Task<V1Pod?> PodAsync(string ns, string name)
    {
        var r = await _kubectl!.RunAsync($"get pod {name} -n {ns} -o json");
        return r.ExitCode == 0 ? KubernetesJson.Deserialize<V1Pod>(r.Stdout) : null;
    }

    private static async Task<string> WaitForNodeAsync(string ns, string name)
    {
        string? node = null;
        var ok = await Wait.UntilAsync(async () => (node = (await PodAsync(ns, name))?.Spec?.NodeName) is { Length: > 0 }, Deadline);
        Assert.IsTrue(ok, $"{ns}/{name} was never scheduled:\n" + await _kubectl!.RunAsync($"describe pod {name} -n {ns}").ContinueWith(t => t.Result.Stdout));
        return node!;
    }

    private static async Task<string> WaitForFailedSchedulingAsync(string ns, string name, Func<string, bool> matches)
    {
        string last = "";
        var ok = await Wait.UntilAsync(async () =>
        {
            var r = await _kubectl!.RunAsync($"get events -n {ns} -o json");
            if (r.ExitCode != 0) return false;
            var events = KubernetesJson.Deserialize<Corev1EventList>(r.Stdout).Items;
            foreach (var e in events.Where(e => e.Reason == "FailedScheduling" && e.InvolvedObject.Name == name))
            {
                last = e.Message;
                if (matches(e.Message)) return true;
            }

            return false;
        }, Deadline);
        Assert.IsTrue(ok, $"no FailedScheduling event as expected for {ns}/{name}; last: {last}");
        return last;
    }

    [TestMethod]
    public async Task NodeAffinity_PlacesThePodOnTheMatchingNode()
    {
        var ns = await NamespaceAsync("sched-affinity");
        var affinity = """
            affinity:
              nodeAffinity:
                requiredDuringSchedulingIgnoredDuringExecution:
                  nodeSelectorTerms:
                  - matchExpressions:
                    - key: disktype
                      operator: In
                      values: ["ssd"]
            """;
        await _kubectl!.OkAsync("apply -f -", PodYaml("ssd", ns, extraSpec: affinity));
        Assert.AreEqual("sim-2", await WaitForNodeAsync(ns, "ssd"));
    }

    [TestMethod]
    public async Task Taint_RepelsThePod_AndATolerationAdmitsIt()
    {
        var ns = await NamespaceAsync("sched-taint");
        await _kubectl!.OkAsync("taint node sim-3 dedicated=gpu:NoSchedule --overwrite");
        try
        {
            var onSim3 = "nodeSelector:\n  kubernetes.io/hostname: sim-3\n";
            await _kubectl.OkAsync("apply -f -", PodYaml("repelled", ns, extraSpec: onSim3));
            var message = await WaitForFailedSchedulingAsync(ns, "repelled", m => m.StartsWith("0/3 nodes are available:", StringComparison.Ordinal));
            Assert.AreEqual("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector. "
                + "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.", message);
            Assert.IsTrue(string.IsNullOrEmpty((await PodAsync(ns, "repelled"))!.Spec.NodeName));

            var toleration = onSim3 + "tolerations:\n- key: dedicated\n  operator: Equal\n  value: gpu\n  effect: NoSchedule\n";
            await _kubectl.OkAsync("apply -f -", PodYaml("tolerating", ns, extraSpec: toleration));
            Assert.AreEqual("sim-3", await WaitForNodeAsync(ns, "tolerating"));
        }
        finally
        {
            await _kubectl.RunAsync("taint node sim-3 dedicated-");
        }
    }

    [TestMethod]
    public async Task TopologySpread_SpreadsPodsEvenlyAcrossZones()
    {
        var ns = await NamespaceAsync("sched-spread");
        var spread = """
            topologySpreadConstraints:
            - maxSkew: 1
              topologyKey: topology.kubernetes.io/zone
              whenUnsatisfiable: DoNotSchedule
              labelSelector:
                matchLabels:
                  app: spread
            """;
        for (var i = 0; i < 6; i++) await _kubectl!.OkAsync("apply -f -", PodYaml($"s{i}", ns, extraSpec: spread, labels: "app: spread"));
        var nodes = new List<string>();
        for (var i = 0; i < 6; i++) nodes.Add(await WaitForNodeAsync(ns, $"s{i}"));
        foreach (var n in new[] { "sim-1", "sim-2", "sim-3" })
            Assert.AreEqual(2, nodes.Count(x => x == n), $"2 pods per zone, got {string.Join(", ", nodes)}");
    }

    [TestMethod]
    public async Task PodTooBigForAnyNode_StaysPending_WithUpstreamsFailedSchedulingMessage()
    {
        var ns = await NamespaceAsync("sched-big");
        await _kubectl!.OkAsync("apply -f -", PodYaml("huge", ns, cpu: "1000"));
        var message = await WaitForFailedSchedulingAsync(ns, "huge", m => m.StartsWith("0/3", StringComparison.Ordinal));
        Assert.AreEqual("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.", message);
        var pod = (await PodAsync(ns, "huge"))!;
        Assert.AreEqual("Pending", pod.Status.Phase);
        var condition = pod.Status.Conditions.Single(c => c.Type == "PodScheduled");
        Assert.AreEqual(("False", "Unschedulable", message), (condition.Status, condition.Reason, condition.Message));
    }

    [TestMethod]
    public async Task HighPriorityPod_PreemptsALowPriorityPod()
    {
        var ns = await NamespaceAsync("sched-preempt");
        // The Priority admission plugin turns priorityClassName into spec.priority, as upstream.
        await _kubectl!.OkAsync("apply -f -", """
            apiVersion: scheduling.k8s.io/v1
            kind: PriorityClass
            metadata: {name: e2e-low}
            value: 1
            ---
            apiVersion: scheduling.k8s.io/v1
            kind: PriorityClass
            metadata: {name: e2e-high}
            value: 1000
            """);
        var low = "priorityClassName: e2e-low\nnodeSelector:\n  kubernetes.io/hostname: sim-1\n";
        await _kubectl!.OkAsync("apply -f -", PodYaml("low", ns, cpu: "1500m", extraSpec: low));
        Assert.AreEqual("sim-1", await WaitForNodeAsync(ns, "low"));
        var high = "priorityClassName: e2e-high\nnodeSelector:\n  kubernetes.io/hostname: sim-1\n";
        await _kubectl.OkAsync("apply -f -", PodYaml("high", ns, cpu: "1500m", extraSpec: high));
        Assert.AreEqual("sim-1", await WaitForNodeAsync(ns, "high"));
        Assert.IsTrue(await Wait.UntilAsync(async () => await PodAsync(ns, "low") is null, Deadline), "the victim was never deleted");
        var events = await _kubectl.OkAsync($"get events -n {ns} -o json");
        Assert.IsTrue(KubernetesJson.Deserialize<Corev1EventList>(events).Items.Any(e => e.Reason == "Preempted" && e.InvolvedObject.Name == "low"), events);
    }

    [TestMethod]
    public async Task CustomSchedulerSample_SchedulesItsPods_WithItsPlugin()
    {
        var ns = await NamespaceAsync("sched-custom");
        var dll = SampleDll();
        await using var scheduler = LiveProcess.Start("dotnet", [dll, "--kubeconfig", _host!.Kubeconfig]);
        Assert.IsTrue(await scheduler.WaitForLineAsync(l => l.StartsWith("custom-scheduler ready", StringComparison.Ordinal), Deadline),
            "custom-scheduler did not start:\n" + scheduler.Stdout + scheduler.Stderr);
        await _kubectl!.OkAsync("label node sim-3 example.com/preferred=true --overwrite");
        try
        {
            for (var i = 0; i < 3; i++) await _kubectl.OkAsync("apply -f -", PodYaml($"mine{i}", ns, extraSpec: "schedulerName: my-scheduler\n"));
            for (var i = 0; i < 3; i++) Assert.AreEqual("sim-3", await WaitForNodeAsync(ns, $"mine{i}"), scheduler.Stdout);
            var events = KubernetesJson.Deserialize<Corev1EventList>(await _kubectl.OkAsync($"get events -n {ns} -o json")).Items;
            Assert.IsTrue(events.Any(e => e.Reason == "Scheduled" && e.Source?.Component == "my-scheduler"), "Scheduled events come from my-scheduler");

            // A pod naming a scheduler nobody runs is left alone by both.
            await _kubectl.OkAsync("apply -f -", PodYaml("orphan", ns, extraSpec: "schedulerName: nobody\n"));
            await WaitForNodeAsync(ns, "mine0");
            var orphan = (await PodAsync(ns, "orphan"))!;
            Assert.IsTrue(string.IsNullOrEmpty(orphan.Spec.NodeName));
            Assert.IsFalse(orphan.Status?.Conditions?.Any(c => c.Type == "PodScheduled") == true, "no scheduler touched it");
        }
        finally
        {
            await _kubectl.RunAsync("label node sim-3 example.com/preferred-");
        }
    }

    /// <summary>custom-scheduler.dll from samples/CustomScheduler's build output, in this test assembly's configuration.</summary>
    private static string SampleDll()
    {
        var host = KubeHostProcess.HostDll();
        var dll = host.Replace(Path.Combine("samples", "Kube.Host"), Path.Combine("samples", "CustomScheduler"), StringComparison.Ordinal)
            .Replace("kube-host.dll", "custom-scheduler.dll", StringComparison.Ordinal);
        if (!File.Exists(dll)) Assert.Inconclusive($"{dll} is missing: build samples/CustomScheduler first (dotnet build samples/CustomScheduler).");
        return dll;
    }
}
