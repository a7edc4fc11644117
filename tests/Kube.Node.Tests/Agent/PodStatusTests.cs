using k8s.Models;
using Kube.Node.Agent;
using Kube.Node.Runtime;

namespace Kube.Node.Tests.Agent;

[TestClass]
public sealed class PodStatusTests
{
    private static readonly DateTime Now = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private static V1Pod Pod(params string[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default", Uid = "u1" },
        Spec = new V1PodSpec { NodeName = "node-1", Containers = containers.Select(c => new V1Container { Name = c, Image = "busybox" }).ToList() },
    };

    private static PodSandboxStatus Sandbox => new()
    {
        Id = "sb", PodUid = "u1", PodName = "p", PodNamespace = "default", State = PodSandboxState.Ready, Ip = "127.1.1.2",
        CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 0, 0, 500, TimeSpan.Zero),
    };

    private static ContainerStatus C(string name, ContainerState state, int attempt = 0, int? exit = null, string id = "") => new()
    {
        Id = id.Length > 0 ? id : $"{name}-{attempt}", SandboxId = "sb", Name = name, State = state, Attempt = attempt, ExitCode = exit,
        StartedAt = state == ContainerState.Created ? null : new DateTimeOffset(2026, 1, 2, 3, 1, 0, 250, TimeSpan.Zero),
        FinishedAt = state == ContainerState.Exited ? new DateTimeOffset(2026, 1, 2, 3, 2, 0, TimeSpan.Zero) : null,
        Reason = state == ContainerState.Exited ? (exit == 0 ? "Completed" : "Error") : null,
    };

    private static readonly Dictionary<string, string> NoWaiting = [];

    [TestMethod]
    public void AllRunning_IsRunningAndReady_WithIpsAndContainerIds()
    {
        var status = PodSyncer.BuildStatus(Pod("a", "b"), Sandbox, [C("a", ContainerState.Running), C("b", ContainerState.Running)], NoWaiting, "Always", Now);

        Assert.AreEqual("Running", status.Phase);
        Assert.AreEqual("127.1.1.2", status.PodIP);
        Assert.AreEqual("127.1.1.2", status.PodIPs.Single().Ip);
        Assert.AreEqual("127.0.0.1", status.HostIP);
        Assert.AreEqual(new DateTime(2026, 1, 2, 3, 0, 0, DateTimeKind.Utc), status.StartTime, "timestamps are whole seconds");
        Assert.AreEqual("process://a-0", status.ContainerStatuses[0].ContainerID);
        Assert.IsTrue(status.ContainerStatuses.All(c => c.Ready && c.Started == true && c.State.Running is not null));
        Assert.AreEqual("True", status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.AreEqual("True", status.Conditions.Single(c => c.Type == "ContainersReady").Status);
        Assert.AreEqual("True", status.Conditions.Single(c => c.Type == "PodScheduled").Status);
        Assert.AreEqual("True", status.Conditions.Single(c => c.Type == "Initialized").Status);
    }

    [TestMethod]
    public void NotStarted_IsPendingWithContainerCreating()
    {
        var status = PodSyncer.BuildStatus(Pod("a"), Sandbox, [], NoWaiting, "Always", Now);

        Assert.AreEqual("Pending", status.Phase);
        Assert.AreEqual("ContainerCreating", status.ContainerStatuses.Single().State.Waiting.Reason);
        var ready = status.Conditions.Single(c => c.Type == "Ready");
        Assert.AreEqual("False", ready.Status);
        Assert.AreEqual("ContainersNotReady", ready.Reason);
        Assert.AreEqual("containers with unready status: [a]", ready.Message);
    }

    [TestMethod]
    [DataRow("Never", 0, "Succeeded")]
    [DataRow("Never", 3, "Failed")]
    [DataRow("OnFailure", 0, "Succeeded")]
    public void Exited_WithoutRestart_IsTerminal(string policy, int exitCode, string phase)
    {
        var status = PodSyncer.BuildStatus(Pod("a"), Sandbox, [C("a", ContainerState.Exited, exit: exitCode)], NoWaiting, policy, Now);

        Assert.AreEqual(phase, status.Phase);
        var terminated = status.ContainerStatuses.Single().State.Terminated;
        Assert.AreEqual(exitCode, terminated.ExitCode);
        Assert.AreEqual(exitCode == 0 ? "Completed" : "Error", terminated.Reason);
        Assert.AreEqual("PodCompleted", status.Conditions.Single(c => c.Type == "Ready").Reason);
    }

    [TestMethod]
    public void BackingOff_IsCrashLoopBackOff_WithLastStateAndRestartCount()
    {
        var waiting = new Dictionary<string, string> { ["a"] = "back-off 20s restarting failed container=a" };

        var status = PodSyncer.BuildStatus(Pod("a"), Sandbox, [C("a", ContainerState.Exited, attempt: 2, exit: 1)], waiting, "Always", Now);

        Assert.AreEqual("Running", status.Phase);
        var cs = status.ContainerStatuses.Single();
        Assert.AreEqual("CrashLoopBackOff", cs.State.Waiting.Reason);
        Assert.AreEqual(2, cs.RestartCount);
        Assert.AreEqual(1, cs.LastState.Terminated.ExitCode);
        Assert.IsFalse(cs.Ready);
    }

    [TestMethod]
    public void Restarted_ShowsThePreviousRunAsLastState()
    {
        var status = PodSyncer.BuildStatus(Pod("a"), Sandbox, [C("a", ContainerState.Exited, attempt: 0, exit: 2), C("a", ContainerState.Running, attempt: 1)], NoWaiting, "Always", Now);

        var cs = status.ContainerStatuses.Single();
        Assert.AreEqual(1, cs.RestartCount);
        Assert.IsNotNull(cs.State.Running);
        Assert.AreEqual(2, cs.LastState.Terminated.ExitCode);
        Assert.AreEqual("process://a-1", cs.ContainerID);
    }

    [TestMethod]
    public void ConditionTransitionTimes_AreKept_WhileTheStatusHolds()
    {
        var pod = Pod("a");
        var earlier = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        pod.Status = new V1PodStatus { Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = earlier }, new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = earlier }] };

        var running = PodSyncer.BuildStatus(pod, Sandbox, [C("a", ContainerState.Running)], NoWaiting, "Always", Now);
        var exited = PodSyncer.BuildStatus(pod, Sandbox, [C("a", ContainerState.Exited, exit: 1)], NoWaiting, "Never", Now);

        Assert.AreEqual(earlier, running.Conditions.Single(c => c.Type == "Ready").LastTransitionTime);
        Assert.AreEqual(Now, exited.Conditions.Single(c => c.Type == "Ready").LastTransitionTime);
        Assert.AreEqual(earlier, exited.Conditions.Single(c => c.Type == "PodScheduled").LastTransitionTime);

        pod.Status.Conditions.Add(new V1PodCondition { Type = "DisruptionTarget", Status = "True" });
        Assert.AreEqual("True", PodSyncer.BuildStatus(pod, Sandbox, [C("a", ContainerState.Running)], NoWaiting, "Always", Now)
            .Conditions.Single(c => c.Type == "DisruptionTarget").Status, "conditions of other owners are kept");
    }

    [TestMethod]
    public void Backoff_FirstRestartImmediate_ThenDoublesTo300s()
    {
        var b = new CrashBackoff(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(300));
        var start = DateTimeOffset.UnixEpoch;
        var delays = new List<double>();
        for (var i = 0; i < 8; i++)
        {
            delays.Add(b.DelayAfter(start, start.AddSeconds(1)).TotalSeconds);
            b.RecordRestart();
        }

        CollectionAssert.AreEqual(new double[] { 0, 10, 20, 40, 80, 160, 300, 300 }, delays);
        Assert.AreEqual(TimeSpan.Zero, b.DelayAfter(start, start.AddMinutes(11)), "ten minutes of good running resets the backoff");
    }

    [TestMethod]
    public void Env_ResolvesLiteralsReferencesAndFieldRefs()
    {
        var pod = Pod("a");
        pod.Metadata.Labels = new Dictionary<string, string> { ["app"] = "demo" };
        var container = new V1Container
        {
            Name = "a",
            Env =
            [
                new V1EnvVar { Name = "GREETING", Value = "hello" },
                new V1EnvVar { Name = "MSG", Value = "$(GREETING) world $$(GREETING) $(MISSING)" },
                new V1EnvVar { Name = "MY_POD", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } },
                new V1EnvVar { Name = "MY_IP", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "status.podIP" } } },
                new V1EnvVar { Name = "APP", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.labels['app']" } } },
            ],
        };

        var env = EnvExpander.Resolve(pod, container, "127.1.1.9", new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "127.10.0.1" });

        Assert.AreEqual("hello world $(GREETING) $(MISSING)", env["MSG"]);
        Assert.AreEqual("p", env["MY_POD"]);
        Assert.AreEqual("127.1.1.9", env["MY_IP"]);
        Assert.AreEqual("demo", env["APP"]);
        Assert.AreEqual("127.10.0.1", env["KUBERNETES_SERVICE_HOST"]);
        Assert.AreEqual("sleep 5", EnvExpander.Expand("sleep $(N)", new Dictionary<string, string> { ["N"] = "5" }));
    }

    [TestMethod]
    public void NodeStatus_ReportsCapacityInfoAndReadyConditions()
    {
        var options = new NodeAgentOptions { NodeName = "node-7", CpuCapacity = 4, MemoryCapacityBytes = 8L << 30, NodeIndex = 7 };
        var builder = new NodeStatusBuilder(options, "process", "0.1");

        var node = builder.NewNode();
        var status = builder.BuildStatus(null, Now);

        Assert.AreEqual("127.1.7.0/24", node.Spec.PodCIDR);
        Assert.AreEqual("node-7", node.Metadata.Labels["kubernetes.io/hostname"]);
        Assert.AreEqual("linux", node.Metadata.Labels["kubernetes.io/os"]);
        Assert.AreEqual("4", status.Capacity["cpu"].ToString());
        Assert.AreEqual("8Gi", status.Capacity["memory"].ToString());
        Assert.AreEqual("110", status.Allocatable["pods"].ToString());
        Assert.AreEqual("process://0.1", status.NodeInfo.ContainerRuntimeVersion);
        Assert.AreEqual("v1.32.0", status.NodeInfo.KubeletVersion);
        var ready = status.Conditions.Single(c => c.Type == "Ready");
        Assert.AreEqual("True", ready.Status);
        Assert.AreEqual("KubeletReady", ready.Reason);
        Assert.AreEqual("kubelet is posting ready status", ready.Message);
        CollectionAssert.IsSubsetOf(new[] { "MemoryPressure", "DiskPressure", "PIDPressure" }, status.Conditions.Where(c => c.Status == "False").Select(c => c.Type).ToList());
        CollectionAssert.AreEqual(new[] { "InternalIP", "Hostname" }, status.Addresses.Select(a => a.Type).ToList());
    }

    [TestMethod]
    [DataRow("Bad_Name", null)]
    [DataRow("node-1", "10.0.0.0/24")]
    [DataRow("node-1", "127.1.0.0/31")]
    public void Options_RejectBadSettings(string name, string? cidr)
    {
        var options = new NodeAgentOptions { NodeName = name, PodCidr = cidr };

        Assert.ThrowsExactly<ArgumentException>(options.Validate);
    }
}
