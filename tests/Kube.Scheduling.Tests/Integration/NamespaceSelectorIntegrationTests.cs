using k8s.Models;

namespace Kube.Scheduling.Tests.Integration;

[TestClass]
public sealed class NamespaceSelectorIntegrationTests
{
    private const string Zone = "topology.kubernetes.io/zone";

    /// <summary>
    /// A pod whose required affinity selects db pods in namespaces labelled team=data stays pending while no namespace has
    /// that label, and lands in the db pod's zone once its namespace is relabelled (a Namespace label event requeues it).
    /// </summary>
    [TestMethod]
    [Timeout(90_000, CooperativeCancellation = true)]
    public async Task RequiredAffinity_WithNamespaceSelector_FollowsNamespaceLabels()
    {
        await using var cluster = await SchedulerCluster.StartAsync();
        foreach (var (name, zone) in new[] { ("a1", "a"), ("b1", "b"), ("b2", "b") })
        {
            var n = TestObjects.Node(name);
            n.Metadata.Labels = new Dictionary<string, string> { [Zone] = zone };
            await cluster.CreateNodeAsync(n);
        }

        await cluster.Client.CreateAsync(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "store" } });
        var db = TestObjects.Pod("db", nodeName: "a1");
        db.Metadata.NamespaceProperty = "store";
        db.Metadata.Labels = new Dictionary<string, string> { ["app"] = "db" };
        await cluster.CreatePodAsync(db);

        var web = TestObjects.Pod("web");
        web.Spec.Affinity = new V1Affinity
        {
            PodAffinity = new V1PodAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PodAffinityTerm
                    {
                        TopologyKey = Zone,
                        LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "db" } },
                        NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["team"] = "data" } },
                    },
                ],
            },
        };
        await cluster.CreatePodAsync(web);
        await SchedulerCluster.WaitForAsync(async () =>
            (await cluster.Client.GetAsync<V1Pod>("web", "default")).Status?.Conditions?.Any(c => c.Type == "PodScheduled"
                && c.Message.StartsWith("0/3 nodes are available: 3 node(s) didn't match pod affinity rules.", StringComparison.Ordinal)) == true,
            "the pod pending: no namespace has team=data");

        var store = await cluster.Client.GetAsync<V1Namespace>("store");
        store.Metadata.Labels ??= new Dictionary<string, string>();
        store.Metadata.Labels["team"] = "data";
        await cluster.Client.UpdateAsync(store);
        await SchedulerCluster.WaitForAsync(async () => (await cluster.Client.GetAsync<V1Pod>("web", "default")).Spec.NodeName == "a1",
            "the pod in the db pod's zone once its namespace has team=data", TimeSpan.FromSeconds(30));
    }
}
