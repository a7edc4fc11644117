using k8s.Models;
using Kube.Core.Client;

namespace Kube.Controllers.Tests.Integration;

[TestClass]
public sealed class DaemonSetIntegrationTests
{
    private static V1Node Node(string name, Dictionary<string, string>? labels = null, params V1Taint[] taints) => new()
    {
        ApiVersion = "v1",
        Kind = "Node",
        Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? new Dictionary<string, string>() },
        Spec = new V1NodeSpec { Taints = taints.Length == 0 ? null : taints.ToList() },
    };

    private static V1DaemonSet DaemonSet(string name, string image, Dictionary<string, string>? nodeSelector = null) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "DaemonSet",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1DaemonSetSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { NodeSelector = nodeSelector, Containers = [new V1Container { Name = "main", Image = image }] },
            },
        },
    };

    private static string? TargetNode(V1Pod p) =>
        p.Spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms?.SelectMany(t => t.MatchFields ?? []).FirstOrDefault()?.Values?.FirstOrDefault();

    private static async Task<List<string?>> NodesOfAsync(ControllerCluster cluster, string app) =>
        (await cluster.PodsAsync("app=" + app)).Where(Workloads.IsActive).Select(TargetNode).Order().ToList();

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task DaemonSet_RunsOnePodPerEligibleNode_HonouringSelectorsAndTaints()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        var ssd = new Dictionary<string, string> { ["disk"] = "ssd" };
        await client.CreateAsync(Node("n1", ssd));
        await client.CreateAsync(Node("n2", new(ssd), new V1Taint { Key = "dedicated", Value = "x", Effect = "NoSchedule" }));
        await client.CreateAsync(Node("n3"));
        await client.CreateAsync(Node("n4", new(ssd), new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute" }));
        await client.CreateAsync(DaemonSet("agent", "agent:1", new Dictionary<string, string> { ["disk"] = "ssd" }));

        await ControllerCluster.WaitForAsync(async () => (await NodesOfAsync(cluster, "agent")).SequenceEqual(["n1", "n4"]), "pods on n1 and n4 only");
        var pod = (await cluster.PodsAsync("app=agent")).First();
        foreach (var key in new[] { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "node.kubernetes.io/disk-pressure",
                     "node.kubernetes.io/memory-pressure", "node.kubernetes.io/pid-pressure", "node.kubernetes.io/unschedulable" })
            Assert.IsTrue(pod.Spec.Tolerations.Any(t => t.Key == key && t.OperatorProperty == "Exists"), key);
        Assert.IsTrue(pod.Metadata.Labels.ContainsKey("controller-revision-hash"));
        Assert.AreEqual("1", pod.Metadata.Labels["pod-template-generation"]);

        await ControllerCluster.WaitForAsync(async () =>
        {
            await cluster.MarkPodsReadyAsync("app=agent");
            var s = (await client.GetAsync<V1DaemonSet>("agent", "default")).Status;
            return s is { DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, NumberReady: 2, NumberAvailable: 2, UpdatedNumberScheduled: 2, NumberMisscheduled: 0 };
        }, "status: 2 desired, scheduled, ready, available and updated");

        // A node that gains the label gets a pod; one that gains an untolerated NoExecute taint loses its pod.
        await cluster.ModifyAsync<V1Node>("n3", null, n => n.Metadata.Labels["disk"] = "ssd");
        await ControllerCluster.WaitForAsync(async () => (await NodesOfAsync(cluster, "agent")).SequenceEqual(["n1", "n3", "n4"]), "a pod on n3");
        await cluster.ModifyAsync<V1Node>("n1", null, n => n.Spec.Taints = [new V1Taint { Key = "evict", Effect = "NoExecute" }]);
        await ControllerCluster.WaitForAsync(async () => (await NodesOfAsync(cluster, "agent")).SequenceEqual(["n3", "n4"]), "the pod on n1 evicted");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task DaemonSet_WhoseRevisionNameIsTaken_BumpsCollisionCount_AndRunsPodsOfTheNextHash()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Node("c1"));
        var ds = DaemonSet("clash", "clash:1");
        // Another object's ControllerRevision already has the name of the set's first revision (<name>-<hash of the template
        // as the server defaults it>, which a dry run shows).
        var defaulted = await client.CreateAsync(ds, new WriteOptions { DryRun = "All" });
        var taken = Kube.Controllers.Internal.ControllerHistory.NameFor(ds, Kube.Controllers.Internal.ControllerHistory.Hash(defaulted.Spec.Template, null));
        await client.CreateAsync(new V1ControllerRevision
        {
            ApiVersion = "apps/v1", Kind = "ControllerRevision", Revision = 1,
            Metadata = new V1ObjectMeta { Name = taken, NamespaceProperty = "default" },
        });
        await client.CreateAsync(ds);

        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1DaemonSet>("clash", "default")).Status?.CollisionCount == 1, "status.collisionCount 1");
        var next = Kube.Controllers.Internal.ControllerHistory.Hash(defaulted.Spec.Template, 1);
        await ControllerCluster.WaitForAsync(async () => (await cluster.PodsAsync("app=clash")).Any(p => p.Metadata.Labels["controller-revision-hash"] == next),
            "a pod of the revision hashed with collisionCount 1");
        Assert.AreEqual(0, (await client.GetAsync<V1ControllerRevision>(taken, "default")).Metadata.OwnerReferences?.Count ?? 0, "the other revision is left alone");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task DaemonSet_RollingUpdate_ReplacesPodsWithAtMostOneNodeUnavailable()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        foreach (var n in new[] { "r1", "r2", "r3" }) await client.CreateAsync(Node(n));
        await client.CreateAsync(DaemonSet("roll", "roll:1"));
        await ControllerCluster.WaitForAsync(async () =>
        {
            await cluster.MarkPodsReadyAsync("app=roll");
            return (await client.GetAsync<V1DaemonSet>("roll", "default")).Status is { NumberAvailable: 3 };
        }, "3 available pods");

        await cluster.ModifyAsync<V1DaemonSet>("roll", "default", d => d.Spec.Template.Spec.Containers[0].Image = "roll:2");
        var worst = 0;
        await ControllerCluster.WaitForAsync(async () =>
        {
            var live = (await cluster.PodsAsync("app=roll")).Where(Workloads.IsActive).ToList();
            var readyNodes = live.Where(p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true).Select(TargetNode).Distinct().Count();
            worst = Math.Max(worst, 3 - readyNodes);
            await cluster.MarkPodsReadyAsync("app=roll");
            return live.Count == 3 && live.All(p => p.Spec.Containers[0].Image == "roll:2")
                && (await client.GetAsync<V1DaemonSet>("roll", "default")).Status is { UpdatedNumberScheduled: 3, NumberAvailable: 3 };
        }, "every node runs the new template");
        Assert.IsTrue(worst <= 1, $"at most one node without a ready pod (saw {worst})");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task DaemonSet_History_KeepsRevisionsPodsUse_BeyondTheLimit_AndRenumbersARollback()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        foreach (var n in new[] { "h1", "h2" }) await client.CreateAsync(Node(n));
        var ds = DaemonSet("hist", "hist:1");
        ds.Spec.UpdateStrategy = new V1DaemonSetUpdateStrategy { Type = "OnDelete" };
        ds.Spec.RevisionHistoryLimit = 0;
        await client.CreateAsync(ds);
        await ControllerCluster.WaitForAsync(async () => (await NodesOfAsync(cluster, "hist")).Count == 2, "two pods");
        var v1Hash = (await cluster.PodsAsync("app=hist")).First().Metadata.Labels["controller-revision-hash"];

        async Task<List<V1ControllerRevision>> RevisionsAsync() =>
            (await client.ListAsync<V1ControllerRevision>("default")).Items.Where(r => r.Metadata.Name.StartsWith("hist-", StringComparison.Ordinal)).ToList();

        foreach (var image in new[] { "hist:2", "hist:3" })
        {
            await cluster.ModifyAsync<V1DaemonSet>("hist", "default", d => d.Spec.Template.Spec.Containers[0].Image = image);
            await ControllerCluster.WaitForAsync(async () => (await RevisionsAsync()).Any(r => k8s.KubernetesJson.Serialize(r.Data).Contains(image, StringComparison.Ordinal)),
                "a revision of " + image);
        }

        // OnDelete: the pods stay on hist:1, so its revision stays; hist:2 is used by nothing and goes (limit 0); hist:3 is current.
        await ControllerCluster.WaitForAsync(async () =>
        {
            var names = (await RevisionsAsync()).Select(r => k8s.KubernetesJson.Serialize(r.Data)).ToList();
            return names.Count == 2 && names.Any(d => d.Contains("hist:1", StringComparison.Ordinal)) && names.Any(d => d.Contains("hist:3", StringComparison.Ordinal));
        }, "revisions of hist:1 (in use) and hist:3 (current) only");
        var v1 = (await RevisionsAsync()).Single(r => k8s.KubernetesJson.Serialize(r.Data).Contains("hist:1", StringComparison.Ordinal));
        Assert.AreEqual("hist-" + v1Hash, v1.Metadata.Name);
        Assert.AreEqual(v1Hash, v1.Metadata.Labels["controller-revision-hash"]);
        Assert.AreEqual(1L, v1.Revision);
        Assert.AreEqual(3L, (await RevisionsAsync()).Max(r => r.Revision));

        // Back to hist:1: its revision is reused with the next number.
        await cluster.ModifyAsync<V1DaemonSet>("hist", "default", d => d.Spec.Template.Spec.Containers[0].Image = "hist:1");
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1ControllerRevision>("hist-" + v1Hash, "default")).Revision == 4,
            "the hist:1 revision renumbered 4");
    }

    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task DaemonSet_RollingUpdateWithMaxSurge_StartsTheNewPodFirst_AndKeepsEveryNodeReady()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        foreach (var n in new[] { "s1", "s2", "s3" }) await client.CreateAsync(Node(n));
        var ds = DaemonSet("surge", "surge:1");
        ds.Spec.UpdateStrategy = new V1DaemonSetUpdateStrategy
        {
            Type = "RollingUpdate",
            RollingUpdate = new V1RollingUpdateDaemonSet { MaxSurge = "1", MaxUnavailable = "0" },
        };
        await client.CreateAsync(ds);
        await ControllerCluster.WaitForAsync(async () =>
        {
            await cluster.MarkPodsReadyAsync("app=surge");
            return (await client.GetAsync<V1DaemonSet>("surge", "default")).Status is { NumberAvailable: 3 };
        }, "3 available pods");

        await cluster.ModifyAsync<V1DaemonSet>("surge", "default", d => d.Spec.Template.Spec.Containers[0].Image = "surge:2");
        int fewestReadyNodes = 3, mostPods = 0;
        await ControllerCluster.WaitForAsync(async () =>
        {
            var live = (await cluster.PodsAsync("app=surge")).Where(Workloads.IsActive).ToList();
            var readyNodes = live.Where(p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true).Select(TargetNode).Distinct().Count();
            fewestReadyNodes = Math.Min(fewestReadyNodes, readyNodes);
            mostPods = Math.Max(mostPods, live.Count);
            var surging = live.GroupBy(TargetNode).Count(g => g.Count() > 1 && g.Any(p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") != true));
            Assert.IsTrue(surging <= 1, $"maxSurge 1: at most one node with a new pod not yet ready beside an old one (saw {surging})");
            await cluster.MarkPodsReadyAsync("app=surge");
            return live.Count == 3 && live.All(p => p.Spec.Containers[0].Image == "surge:2")
                && (await client.GetAsync<V1DaemonSet>("surge", "default")).Status is { UpdatedNumberScheduled: 3, NumberAvailable: 3 };
        }, "every node runs the new template");
        Assert.AreEqual(3, fewestReadyNodes, "maxUnavailable 0: every node kept a ready pod");
        Assert.IsTrue(mostPods >= 4, "a new pod ran beside an old one");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task DaemonSet_MinReadySeconds_CountsPodsAvailableOnlyAfterTheyStayedReady()
    {
        await using var cluster = await ControllerCluster.StartAsync();
        var client = cluster.Client;
        await client.CreateAsync(Node("m1"));
        var ds = DaemonSet("slow", "slow:1");
        ds.Spec.MinReadySeconds = 2;
        await client.CreateAsync(ds);
        await ControllerCluster.WaitForAsync(async () => await cluster.MarkPodsReadyAsync("app=slow") == 1, "the pod marked ready");
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1DaemonSet>("slow", "default")).Status is { NumberReady: 1 }, "ready counted");
        var readyAt = DateTime.UtcNow;
        Assert.AreEqual(0, (await client.GetAsync<V1DaemonSet>("slow", "default")).Status.NumberAvailable, "not available before minReadySeconds");
        await ControllerCluster.WaitForAsync(async () => (await client.GetAsync<V1DaemonSet>("slow", "default")).Status is { NumberAvailable: 1, NumberUnavailable: 0 },
            "available after minReadySeconds without another event");
        Assert.IsTrue(DateTime.UtcNow - readyAt > TimeSpan.FromSeconds(0.5), "availability waited for minReadySeconds");
    }
}
