using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Node.Agent;
using Kube.Node.Runtime.Process;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using System.Diagnostics.Metrics;

namespace Kube.Node.Tests.Agent;

/// <summary>The node agent against a real API server and store, running real processes.</summary>
[TestClass]
public sealed class NodeAgentIntegrationTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly List<string> _markers = [];
    private readonly List<(NodeAgent Agent, SharedInformerFactory Factory, CancellationTokenSource Cts)> _agents = [];
    private readonly List<Kube.Core.Events.EventRecorder> _recorders = [];
    private TestCluster _cluster = null!;
    private string _dataDir = "";

    [TestInitialize]
    public async Task Init()
    {
        _cluster = await TestCluster.StartAsync();
        _dataDir = TempDirs.Create("kube-node-agent");
    }

    [TestCleanup]
    public async Task Cleanup()
    {
        foreach (var a in _agents.ToList())
        {
            await StopAgentAsync(a.Agent);
        }

        foreach (var m in _markers)
        {
            ProcessTable.KillAll(m);
        }

        foreach (var r in _recorders)
        {
            await r.DisposeAsync();
        }

        await _cluster.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private IKubeClient Client => _cluster.Client;

    private async Task<NodeAgent> StartAgentAsync(string name = "node-1", Action<NodeAgentOptions>? configure = null, IMeterFactory? meters = null)
    {
        var options = new NodeAgentOptions
        {
            NodeName = name,
            DataDir = Path.Combine(_dataDir, name),
            NodeIndex = 1,
            BackoffInitial = TimeSpan.FromMilliseconds(300),
            BackoffMax = TimeSpan.FromSeconds(2),
            NodeStatusUpdateInterval = TimeSpan.FromSeconds(1),
            LeaseRenewInterval = TimeSpan.FromSeconds(1),
            RelistInterval = TimeSpan.FromMilliseconds(200),
            ShutdownGracePeriod = TimeSpan.FromSeconds(3),
        };
        configure?.Invoke(options);
        var factory = new SharedInformerFactory(Client);
        var runtime = new ProcessRuntime(new ProcessRuntimeOptions { DataDir = Path.Combine(options.DataDir!, "runtime"), PodCidr = "127.1.1.0/24" },
            TimeProvider.System, NullLogger<ProcessRuntime>.Instance);
        var events = new Kube.Core.Events.EventRecorder(Client, new Kube.Core.Events.EventRecorderOptions { ReportingController = "kubelet", ReportingInstance = name });
        _recorders.Add(events);
        var agent = new NodeAgent(options, Client, factory, runtime, TimeProvider.System, NullLoggerFactory.Instance, meters, events);
        var cts = new CancellationTokenSource();
        factory.Start(cts.Token);
        await agent.StartAsync(CancellationToken.None);
        _agents.Add((agent, factory, cts));
        await agent.Registered.WaitAsync(Deadline);
        return agent;
    }

    private async Task StopAgentAsync(NodeAgent agent)
    {
        var entry = _agents.Single(a => a.Agent == agent);
        await agent.StopAsync(CancellationToken.None);
        await agent.DisposeAsync();
        await entry.Cts.CancelAsync();
        await entry.Factory.WhenStoppedAsync().WaitAsync(Deadline);
        _agents.Remove(entry);
    }

    private string Marker(int whole)
    {
        var m = TestUtil.UniqueSeconds(whole);
        _markers.Add(m);
        return m;
    }

    private static V1Pod SleepPod(string name, string marker, string node = "node-1", string restartPolicy = "Always", long? grace = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = name } },
        Spec = new V1PodSpec
        {
            NodeName = node,
            RestartPolicy = restartPolicy,
            TerminationGracePeriodSeconds = grace,
            Containers = [new V1Container { Name = "main", Image = "busybox", Command = ["sleep", marker] }],
        },
    };

    private async Task<V1Pod> WaitPodAsync(string name, Func<V1Pod, bool> condition, string what)
    {
        V1Pod? last = null;
        var ok = await Wait.PollAsync(async () =>
        {
            try
            {
                last = await Client.GetAsync<V1Pod>(name, "default");
                return condition(last);
            }
            catch (NotFoundException)
            {
                return false;
            }
        }, Deadline);
        Assert.IsTrue(ok, $"pod {name} never {what}; last status: {k8s.KubernetesJson.Serialize(last?.Status)}");
        return last!;
    }

    [TestMethod]
    public async Task Agent_RegistersReadyNode_AndRenewsItsLease()
    {
        await StartAgentAsync();

        var node = await Client.GetAsync<V1Node>("node-1");
        Assert.AreEqual("True", node.Status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.AreEqual("127.1.1.0/24", node.Spec.PodCIDR);
        Assert.AreEqual("node-1", node.Metadata.Labels["kubernetes.io/hostname"]);
        Assert.AreEqual("process://0.1", node.Status.NodeInfo.ContainerRuntimeVersion);
        Assert.AreEqual("110", node.Status.Capacity["pods"].ToString());

        var lease = await Client.GetAsync<V1Lease>("node-1", NodeAgent.LeaseNamespace);
        Assert.AreEqual("node-1", lease.Spec.HolderIdentity);
        Assert.AreEqual(40, lease.Spec.LeaseDurationSeconds);
        var first = lease.Spec.RenewTime;
        Assert.IsTrue(await Wait.PollAsync(async () => (await Client.GetAsync<V1Lease>("node-1", NodeAgent.LeaseNamespace)).Spec.RenewTime > first, Deadline), "the lease is renewed");
    }

    [TestMethod]
    public async Task BoundPod_RunsAsAProcess_ReportsRunning_AndDeleteStopsAndRemovesIt()
    {
        await StartAgentAsync();
        var marker = Marker(3612);

        await Client.CreateAsync(SleepPod("web", marker, grace: 5));

        var pod = await WaitPodAsync("web", p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.Single().Ready == true, "became Running");
        Assert.IsTrue(pod.Status.PodIP.StartsWith("127.1.1.", StringComparison.Ordinal), pod.Status.PodIP);
        Assert.AreEqual("127.0.0.1", pod.Status.HostIP);
        Assert.IsNotNull(pod.Status.StartTime);
        var cs = pod.Status.ContainerStatuses.Single();
        StringAssert.StartsWith(cs.ContainerID, "process://");
        Assert.IsNotNull(cs.State.Running.StartedAt);
        Assert.AreEqual("True", pod.Status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.AreEqual(1, ProcessTable.Find("sleep " + marker).Count, "exactly one process for the container");
        Assert.IsTrue(await Wait.PollAsync(async () => (await Client.ListAsync<Eventsv1Event>("default")).Items
            .Any(e => e.Reason == "Started" && e.Regarding?.Name == "web" && e.ReportingController == "kubelet"), Deadline), "a Started event is recorded");

        await Client.DeleteAsync<V1Pod>("web", "default");

        Assert.IsTrue(await Wait.PollAsync(async () =>
        {
            try
            {
                await Client.GetAsync<V1Pod>("web", "default");
                return false;
            }
            catch (NotFoundException)
            {
                return true;
            }
        }, Deadline), "the agent removes the pod object after stopping it");
        Assert.AreEqual(0, ProcessTable.Find(marker).Count);
    }

    [TestMethod]
    public async Task CrashingContainer_IsRestarted_WithBackoff_AndCountsRestarts()
    {
        long restarts = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Kube.Node" && instrument.Name == "kube.node.container.restarts")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref restarts, value));
        listener.Start();
        await StartAgentAsync();
        var pod = SleepPod("crash", "x");
        pod.Spec.Containers[0].Command = ["sh", "-c", "echo boom; exit 7"];

        await Client.CreateAsync(pod);

        var crashed = await WaitPodAsync("crash", p => p.Status?.ContainerStatuses?.SingleOrDefault()?.RestartCount >= 2, "restarted twice");
        var cs = crashed.Status.ContainerStatuses.Single();
        Assert.AreEqual("Running", crashed.Status.Phase);
        Assert.AreEqual(7, (cs.LastState?.Terminated ?? cs.State.Terminated)?.ExitCode);
        await WaitPodAsync("crash", p => p.Status?.ContainerStatuses?.Single().State?.Waiting?.Reason == "CrashLoopBackOff", "showed CrashLoopBackOff");
        Assert.IsTrue(Interlocked.Read(ref restarts) >= 2, $"the restarts are counted on the Kube.Node meter ({restarts})");
    }

    [TestMethod]
    public async Task NeverRestart_FailedContainer_MakesThePodFailed()
    {
        await StartAgentAsync();
        var pod = SleepPod("once", "x", restartPolicy: "Never");
        pod.Spec.Containers[0].Command = ["sh", "-c", "exit 3"];

        await Client.CreateAsync(pod);

        var failed = await WaitPodAsync("once", p => p.Status?.Phase == "Failed", "failed");
        Assert.AreEqual(3, failed.Status.ContainerStatuses.Single().State.Terminated.ExitCode);
        Assert.AreEqual("Error", failed.Status.ContainerStatuses.Single().State.Terminated.Reason);
    }

    [TestMethod]
    public async Task AgentRestart_StopsProcessesOnStop_RestartsThemOnStart_AndKillsLeftoversOfUnboundPods()
    {
        var agent = await StartAgentAsync();
        var keep = Marker(3620);
        var gone = Marker(3621);
        await Client.CreateAsync(SleepPod("keep", keep));
        await Client.CreateAsync(SleepPod("gone", gone));
        await WaitPodAsync("keep", p => p.Status?.Phase == "Running", "ran");
        await WaitPodAsync("gone", p => p.Status?.Phase == "Running", "ran");
        var ipBefore = (await Client.GetAsync<V1Pod>("keep", "default")).Status.PodIP;

        await StopAgentAsync(agent);

        Assert.AreEqual(0, ProcessTable.Find(keep).Count, "a clean stop leaves no processes");
        Assert.AreEqual(0, ProcessTable.Find(gone).Count);
        Assert.IsNotNull(await Client.GetAsync<V1Pod>("keep", "default"), "the API objects stay");

        // While the agent is down, one pod is force-deleted.
        await Client.DeleteAsync<V1Pod>("gone", "default", new DeleteOptions { GracePeriodSeconds = 0 });
        await StartAgentAsync();

        Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find("sleep " + keep).Count == 1, Deadline), "the bound pod runs again");
        var pod = await WaitPodAsync("keep", p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.Single().Ready == true, "ran again");
        Assert.AreEqual(ipBefore, pod.Status.PodIP, "the pod keeps its IP across the restart");
        Assert.AreEqual(0, ProcessTable.Find(gone).Count);
        Assert.AreEqual(1, ProcessTable.Find("sleep " + keep).Count, "never two copies of one container");
    }

    [TestMethod]
    public async Task AgentCrash_AdoptsRunningProcesses_InsteadOfStartingASecondCopy()
    {
        var agent = await StartAgentAsync();
        var marker = Marker(3630);
        await Client.CreateAsync(SleepPod("adopt", marker));
        var before = await WaitPodAsync("adopt", p => p.Status?.Phase == "Running", "ran");
        var pid = ProcessTable.Find("sleep " + marker).Single();

        // Simulate a crash of the agent: its loops end, but nothing is stopped.
        var entry = _agents.Single(a => a.Agent == agent);
        await entry.Cts.CancelAsync();
        await agent.DisposeAsync();
        _agents.Remove(entry);
        // The restarted agent syncs the pod again and again (resync every 100 ms), each sync a chance for a wrong agent
        // to start a second copy; its pod-sync metric, from a meter factory of its own, counts them.
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var syncs = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == "kube.node.pod.sync.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref syncs));
        listener.Start();
        await StartAgentAsync(configure: o => o.ResyncInterval = TimeSpan.FromMilliseconds(100), meters: meters);

        Assert.IsTrue(await Wait.PollAsync(() => Volatile.Read(ref syncs) >= 5, Deadline), $"the restarted agent synced the pod {syncs} times");
        CollectionAssert.AreEqual(new[] { pid }, ProcessTable.Find("sleep " + marker), "the same process, adopted");
        var after = await WaitPodAsync("adopt", p => p.Status?.Phase == "Running", "stayed running");
        Assert.AreEqual(before.Status.ContainerStatuses.Single().ContainerID, after.Status.ContainerStatuses.Single().ContainerID);
        Assert.AreEqual(0, after.Status.ContainerStatuses.Single().RestartCount);
    }

    [TestMethod]
    public async Task InitContainers_RunInOrderToSuccess_BeforeTheMainContainer()
    {
        await StartAgentAsync();
        var marker = Marker(3650);
        var pod = SleepPod("init", marker);
        pod.Spec.InitContainers =
        [
            new V1Container { Name = "first", Image = "busybox", Command = ["sh", "-c", "echo one > order.txt"] },
            new V1Container { Name = "second", Image = "busybox", Command = ["sh", "-c", "test -f order.txt && echo two >> order.txt"] },
        ];
        pod.Spec.Containers[0].Command = ["sh", "-c", $"cat order.txt > seen.txt; exec sleep {marker}"];

        var created = await Client.CreateAsync(pod);

        var running = await WaitPodAsync("init", p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.Single().Ready == true, "ran after its init containers");
        Assert.AreEqual("True", running.Status.Conditions.Single(c => c.Type == "Initialized").Status);
        Assert.IsTrue(running.Status.InitContainerStatuses.All(s => s.State.Terminated?.ExitCode == 0));
        var workDir = Path.Combine(_dataDir, "node-1", "runtime", "pods", created.Metadata.Uid);
        Assert.IsTrue(await Wait.PollAsync(() => File.Exists(Path.Combine(workDir, "seen.txt")) && File.ReadAllText(Path.Combine(workDir, "seen.txt")) == "one\ntwo\n", Deadline),
            "the init containers ran in order, before the main container, in the pod's working directory");
    }

    [TestMethod]
    public async Task FailingInitContainer_WithNeverPolicy_FailsThePod_AndTheMainContainerNeverRuns()
    {
        await StartAgentAsync();
        var marker = Marker(3651);
        var pod = SleepPod("badinit", marker, restartPolicy: "Never");
        pod.Spec.InitContainers = [new V1Container { Name = "setup", Image = "busybox", Command = ["sh", "-c", "exit 4"] }];

        await Client.CreateAsync(pod);

        var failed = await WaitPodAsync("badinit", p => p.Status?.Phase == "Failed", "failed");
        Assert.AreEqual(4, failed.Status.InitContainerStatuses.Single().State.Terminated.ExitCode);
        Assert.AreEqual("PodInitializing", failed.Status.ContainerStatuses.Single().State.Waiting.Reason);
        Assert.AreEqual(0, ProcessTable.Find(marker).Count);
    }

    [TestMethod]
    public async Task ReadinessProbe_GatesReady_UntilItPasses()
    {
        await StartAgentAsync();
        var marker = Marker(3660);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        var pod = SleepPod("ready", marker);
        pod.Spec.Containers[0].ReadinessProbe = new V1Probe
        {
            PeriodSeconds = 1,
            TcpSocket = new V1TCPSocketAction { Host = "127.0.0.1", Port = (IntOrString)"0" },
        };
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        pod.Spec.Containers[0].ReadinessProbe.TcpSocket.Port = (IntOrString)port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        await Client.CreateAsync(pod);

        var notReady = await WaitPodAsync("ready", p => p.Status?.Phase == "Running", "ran");
        Assert.IsFalse(notReady.Status.ContainerStatuses.Single().Ready, "not ready while nothing listens");
        Assert.AreEqual("False", notReady.Status.Conditions.Single(c => c.Type == "Ready").Status);

        using var server = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        server.Start();
        await WaitPodAsync("ready", p => p.Status?.ContainerStatuses?.Single().Ready == true && p.Status.Conditions.Any(c => c.Type == "Ready" && c.Status == "True"), "became ready");
    }

    [TestMethod]
    public async Task FailingLivenessProbe_KillsAndRestartsTheContainer()
    {
        await StartAgentAsync();
        var marker = Marker(3661);
        var pod = SleepPod("live", marker);
        pod.Spec.TerminationGracePeriodSeconds = 1;
        pod.Spec.Containers[0].LivenessProbe = new V1Probe
        {
            PeriodSeconds = 1,
            FailureThreshold = 1,
            Exec = new V1ExecAction { Command = ["sh", "-c", "test -f healthy"] },
        };

        await Client.CreateAsync(pod);

        var restarted = await WaitPodAsync("live", p => p.Status?.ContainerStatuses?.Single().RestartCount >= 1, "was restarted by its liveness probe");
        Assert.AreEqual(143, restarted.Status.ContainerStatuses.Single().LastState?.Terminated?.ExitCode, "killed with SIGTERM");
    }

    [TestMethod]
    public async Task EnvFromConfigMapsAndSecrets_IsResolved_AndAMissingConfigMapIsACreateContainerConfigError()
    {
        await StartAgentAsync();
        var marker = Marker(3670);
        await Client.CreateAsync(new V1Secret
        {
            ApiVersion = "v1", Kind = "Secret", Metadata = new V1ObjectMeta { Name = "creds", NamespaceProperty = "default" },
            Data = new Dictionary<string, byte[]> { ["password"] = "s3cret"u8.ToArray() },
        });
        var pod = SleepPod("envpod", marker);
        pod.Spec.Containers[0].Command = ["sh", "-c", $"echo \"$MODE|$CFG_level|$PASSWORD\" > env.txt; exec sleep {marker}"];
        pod.Spec.Containers[0].EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "settings" }, Prefix = "CFG_" }];
        pod.Spec.Containers[0].Env =
        [
            new V1EnvVar { Name = "MODE", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "settings", Key = "mode" } } },
            new V1EnvVar { Name = "PASSWORD", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "creds", Key = "password" } } },
        ];

        var created = await Client.CreateAsync(pod);

        var blocked = await WaitPodAsync("envpod", p => p.Status?.ContainerStatuses?.Single().State?.Waiting?.Reason == "CreateContainerConfigError", "reported the missing ConfigMap");
        StringAssert.Contains(blocked.Status.ContainerStatuses.Single().State.Waiting.Message, "settings");
        Assert.AreEqual(0, ProcessTable.Find(marker).Count);

        await Client.CreateAsync(new V1ConfigMap
        {
            ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "settings", NamespaceProperty = "default" },
            Data = new Dictionary<string, string> { ["mode"] = "fast", ["level"] = "3" },
        });

        await WaitPodAsync("envpod", p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.Single().Ready == true, "ran once the ConfigMap existed");
        var envFile = Path.Combine(_dataDir, "node-1", "runtime", "pods", created.Metadata.Uid, "env.txt");
        Assert.IsTrue(await Wait.PollAsync(() => File.Exists(envFile) && File.ReadAllText(envFile) == "fast|3|s3cret\n", Deadline), "env from the ConfigMap and Secret: " + (File.Exists(envFile) ? File.ReadAllText(envFile) : "no file"));
    }

    [TestMethod]
    public async Task PreStopHook_RunsBeforeSigterm_OnDeletion()
    {
        await StartAgentAsync();
        var record = Path.Combine(_dataDir, "hooks.txt");
        var pod = SleepPod("hooked", "x", grace: 10);
        pod.Spec.Containers[0].Command = ["sh", "-c", $"trap 'echo term >> {record}; exit 0' TERM; echo ready; while true; do sleep 0.05; done"];
        pod.Spec.Containers[0].Lifecycle = new V1Lifecycle { PreStop = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["sh", "-c", $"echo prestop >> {record}"] } } };
        await Client.CreateAsync(pod);
        await WaitPodAsync("hooked", p => p.Status?.Phase == "Running", "ran");

        await Client.DeleteAsync<V1Pod>("hooked", "default");

        Assert.IsTrue(await Wait.PollAsync(() => File.Exists(record) && File.ReadAllText(record) == "prestop\nterm\n", Deadline),
            "the preStop hook ran, then the container got SIGTERM: " + (File.Exists(record) ? File.ReadAllText(record) : "nothing"));
    }

    [TestMethod]
    public async Task FailingPostStartHook_KillsTheContainer_WhichIsRestarted()
    {
        await StartAgentAsync();
        var marker = Marker(3680);
        var pod = SleepPod("poststart", marker);
        pod.Spec.Containers[0].Lifecycle = new V1Lifecycle { PostStart = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["sh", "-c", "exit 1"] } } };

        await Client.CreateAsync(pod);

        var restarted = await WaitPodAsync("poststart", p => p.Status?.ContainerStatuses?.Single().RestartCount >= 1, "was restarted after its postStart hook failed");
        Assert.AreEqual(137, restarted.Status.ContainerStatuses.Single().LastState?.Terminated?.ExitCode);
    }
}
