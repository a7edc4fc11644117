using k8s.Models;
using Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;
using Kube.Core.Client;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Controllers.Tests.Integration;

/// <summary>
/// The HPA controller alone against the in-process API server (over HTTP, for metrics.k8s.io), whose PodMetrics come
/// from a <see cref="FakeKubelet"/>'s /stats/summary. The test plays the ReplicaSet controller and kubelet: it creates
/// Running, Ready pods on the fake node, so the target's size is only what the HPA writes through /scale.
/// </summary>
[TestClass]
public sealed class HorizontalPodAutoscalerIntegrationTests
{
    private const string Ns = "default";

    private sealed class Setup : IAsyncDisposable
    {
        public required ControllerCluster Cluster { get; init; }

        public required FakeKubelet Kubelet { get; init; }

        public required FakeTimeProvider Clock { get; init; }

        public async ValueTask DisposeAsync()
        {
            await Cluster.DisposeAsync();
            await Kubelet.DisposeAsync();
        }
    }

    private static async Task<Setup> StartAsync()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cluster = await ControllerCluster.StartAsync(
            c => c.AddController<HorizontalPodAutoscalerReconciler, V2HorizontalPodAutoscaler>(b => b.Named("horizontalpodautoscaling")),
            time: clock,
            server: o => o.ResourceMetricsCacheDuration = TimeSpan.FromMilliseconds(1),
            overHttp: true);
        var kubelet = new FakeKubelet("hpa-node");
        var node = await cluster.Client.CreateAsync(new V1Node { Metadata = new V1ObjectMeta { Name = kubelet.NodeName } });
        node.Status = new V1NodeStatus
        {
            Addresses = [new V1NodeAddress { Type = "InternalIP", Address = "127.0.0.1" }],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = kubelet.Port } },
        };
        await cluster.Client.UpdateStatusAsync(node);
        return new Setup { Cluster = cluster, Kubelet = kubelet, Clock = clock };
    }

    /// <summary>A ReplicaSet "web" of <paramref name="replicas"/> (nobody runs its controller) and that many Running, Ready pods using <paramref name="milliCores"/> of 100m each.</summary>
    private static async Task TargetAsync(Setup s, int replicas, long? milliCores)
    {
        var labels = new Dictionary<string, string> { ["app"] = "web" };
        var rs = await s.Cluster.Client.CreateAsync(new V1ReplicaSet
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = Ns },
            Spec = new V1ReplicaSetSpec
            {
                Replicas = replicas,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = labels }, Spec = PodSpec(s.Kubelet.NodeName) },
            },
        });
        rs.Status = new V1ReplicaSetStatus { Replicas = replicas };
        await s.Cluster.Client.UpdateStatusAsync(rs);
        var started = DateTime.UtcNow.AddMinutes(-10);
        for (var i = 0; i < replicas; i++)
        {
            var pod = await s.Cluster.Client.CreateAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = $"web-{i}", NamespaceProperty = Ns, Labels = labels },
                Spec = PodSpec(s.Kubelet.NodeName),
            });
            pod.Status = new V1PodStatus
            {
                Phase = "Running",
                StartTime = started,
                Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = started }],
            };
            await s.Cluster.Client.UpdateStatusAsync(pod);
            if (milliCores is { } m) s.Kubelet.SetUsage(Ns, pod.Metadata.Name, m);
        }
    }

    private static V1PodSpec PodSpec(string node) => new()
    {
        NodeName = node,
        Containers =
        [
            new V1Container
            {
                Name = "app",
                Image = "busybox",
                Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("64Mi") } },
            },
        ],
    };

    private static Task HpaAsync(Setup s, int min, int max, int targetCpu, V2HorizontalPodAutoscalerBehavior? behavior = null) =>
        s.Cluster.Client.CreateAsync(new V2HorizontalPodAutoscaler
        {
            Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = Ns },
            Spec = new V2HorizontalPodAutoscalerSpec
            {
                Behavior = behavior,
                ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "web" },
                MinReplicas = min,
                MaxReplicas = max,
                Metrics =
                [
                    new V2MetricSpec
                    {
                        Type = "Resource",
                        Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = targetCpu } },
                    },
                ],
            },
        });

    private static async Task<int> ReplicasAsync(Setup s) => (await s.Cluster.Client.GetAsync<V1ReplicaSet>("web", Ns)).Spec.Replicas ?? 0;

    private static async Task<V2HorizontalPodAutoscaler> HpaAsync(Setup s) => await s.Cluster.Client.GetAsync<V2HorizontalPodAutoscaler>("web", Ns);

    private static V2HorizontalPodAutoscalerCondition? Condition(V2HorizontalPodAutoscaler hpa, string type) =>
        hpa.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    [TestMethod]
    public async Task ScalesUp_WhenCpuUtilizationAboveTarget_WithSuccessfulRescaleEvent()
    {
        await using var s = await StartAsync();
        await TargetAsync(s, replicas: 2, milliCores: 100);
        await HpaAsync(s, min: 1, max: 10, targetCpu: 50);

        await ControllerCluster.WaitForAsync(async () => await ReplicasAsync(s) == 4, "the ReplicaSet scaled to 4 (100 % of request against 50 %)");
        await ControllerCluster.WaitForAsync(async () => (await HpaAsync(s)).Status?.DesiredReplicas == 4, "status.desiredReplicas 4");
        var hpa = await HpaAsync(s);
        Assert.AreEqual(100, hpa.Status.CurrentMetrics?.Single().Resource.Current.AverageUtilization);
        Assert.IsNotNull(hpa.Status.LastScaleTime);
        Assert.AreEqual("ValidMetricFound", Condition(hpa, "ScalingActive")?.Reason);
        Assert.AreEqual("True", Condition(hpa, "AbleToScale")?.Status);
        await ControllerCluster.WaitForAsync(async () => (await s.Cluster.Client.ListAsync<Eventsv1Event>(Ns)).Items.Any(e =>
                e.Reason == "SuccessfulRescale" && e.Note == "New size: 4; reason: cpu resource utilization (percentage of request) above target"),
            "the SuccessfulRescale event");
    }

    [TestMethod]
    public async Task ScaleUp_IsClampedToMaxReplicas_WithScalingLimitedTooManyReplicas()
    {
        await using var s = await StartAsync();
        await TargetAsync(s, replicas: 2, milliCores: 100);
        await HpaAsync(s, min: 1, max: 3, targetCpu: 50);

        await ControllerCluster.WaitForAsync(async () => await ReplicasAsync(s) == 3, "the ReplicaSet scaled to maxReplicas 3");
        await ControllerCluster.WaitForAsync(async () => Condition(await HpaAsync(s), "ScalingLimited") is { Status: "True", Reason: "TooManyReplicas" },
            "ScalingLimited True TooManyReplicas");
    }

    [TestMethod]
    public async Task ScalesDown_OnlyAfterStabilizationWindow_ClampedToMinReplicas()
    {
        await using var s = await StartAsync();
        await TargetAsync(s, replicas: 4, milliCores: 10);
        await HpaAsync(s, min: 2, max: 10, targetCpu: 50);

        // 10 % against 50 % proposes 1, but the 5-minute window still holds the size the HPA started with.
        await ControllerCluster.WaitForAsync(async () => Condition(await HpaAsync(s), "AbleToScale")?.Reason == "ScaleDownStabilized", "AbleToScale ScaleDownStabilized");
        Assert.AreEqual(4, await ReplicasAsync(s));

        // A sync 200 s later (seen by its new utilization figure) still keeps 4.
        foreach (var i in Enumerable.Range(0, 4)) s.Kubelet.SetUsage(Ns, $"web-{i}", 12);
        s.Clock.Advance(TimeSpan.FromSeconds(200));
        await ControllerCluster.WaitForAsync(async () => (await HpaAsync(s)).Status?.CurrentMetrics?.SingleOrDefault()?.Resource?.Current?.AverageUtilization == 12,
            "a sync inside the window");
        Assert.AreEqual(4, await ReplicasAsync(s));

        // Past the window only low recommendations remain: scale down, to minReplicas.
        s.Clock.Advance(TimeSpan.FromSeconds(101));
        await ControllerCluster.WaitForAsync(async () => await ReplicasAsync(s) == 2, "the ReplicaSet scaled down to minReplicas 2");
        await ControllerCluster.WaitForAsync(async () => Condition(await HpaAsync(s), "ScalingLimited") is { Status: "True", Reason: "TooFewReplicas" },
            "ScalingLimited True TooFewReplicas");
    }

    [TestMethod]
    public async Task ScalesDown_AtOnce_WhenBehaviorHasNoScaleDownWindow_AtMostThePolicyRate()
    {
        await using var s = await StartAsync();
        await TargetAsync(s, replicas: 4, milliCores: 10);
        var behavior = new V2HorizontalPodAutoscalerBehavior
        {
            ScaleDown = new V2HPAScalingRules
            {
                StabilizationWindowSeconds = 0,
                Policies = [new V2HPAScalingPolicy { Type = "Pods", Value = 1, PeriodSeconds = 60 }],
            },
        };
        await HpaAsync(s, min: 1, max: 10, targetCpu: 50, behavior);

        // 10 % against 50 % proposes 1; the policy allows one pod less per minute.
        await ControllerCluster.WaitForAsync(async () => await ReplicasAsync(s) == 3, "the ReplicaSet scaled down by one pod");
        await ControllerCluster.WaitForAsync(async () => Condition(await HpaAsync(s), "ScalingLimited") is { Status: "True", Reason: "ScaleDownLimit" },
            "ScalingLimited True ScaleDownLimit");
        Assert.AreEqual(3, await ReplicasAsync(s));
    }

    [TestMethod]
    public async Task MissingMetrics_SetScalingActiveFalse_FailedGetResourceMetric()
    {
        await using var s = await StartAsync();
        await TargetAsync(s, replicas: 2, milliCores: null);
        await HpaAsync(s, min: 1, max: 10, targetCpu: 50);

        await ControllerCluster.WaitForAsync(async () => Condition(await HpaAsync(s), "ScalingActive") is { Status: "False", Reason: "FailedGetResourceMetric" },
            "ScalingActive False FailedGetResourceMetric");
        Assert.AreEqual(2, await ReplicasAsync(s));
    }
}
