using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Node.Agent;
using Kube.Node.Runtime.Process;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests;

/// <summary>One node agent with the process runtime against a real test cluster; disposing stops the agent, kills every marked process and deletes the data.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly List<string> _markers = [];
    private readonly CancellationTokenSource _cts = new();
    private SharedInformerFactory _factory = null!;
    private Kube.Core.Events.EventRecorder _events = null!;

    private AgentHarness(TestCluster cluster, string dataDir)
    {
        Cluster = cluster;
        DataDir = dataDir;
    }

    public TestCluster Cluster { get; }

    public string DataDir { get; }

    public NodeAgent Agent { get; private set; } = null!;

    public IKubeClient Client => Cluster.Client;

    public static async Task<AgentHarness> StartAsync(Action<NodeAgentOptions>? configure = null)
    {
        var harness = new AgentHarness(await TestCluster.StartAsync(), TempDirs.Create("kube-node-harness"));
        var options = new NodeAgentOptions
        {
            NodeName = "node-1",
            DataDir = Path.Combine(harness.DataDir, "node-1"),
            NodeIndex = 1,
            NodeStatusUpdateInterval = TimeSpan.FromSeconds(1),
            LeaseRenewInterval = TimeSpan.FromSeconds(1),
            RelistInterval = TimeSpan.FromMilliseconds(200),
            ShutdownGracePeriod = TimeSpan.FromSeconds(3),
        };
        configure?.Invoke(options);
        harness._factory = new SharedInformerFactory(harness.Client);
        var runtime = new ProcessRuntime(new ProcessRuntimeOptions { DataDir = Path.Combine(options.DataDir!, "runtime"), PodCidr = "127.1.1.0/24" },
            TimeProvider.System, NullLogger<ProcessRuntime>.Instance);
        harness._events = new Kube.Core.Events.EventRecorder(harness.Client, new Kube.Core.Events.EventRecorderOptions { ReportingController = "kubelet", ReportingInstance = "node-1" });
        harness.Agent = new NodeAgent(options, harness.Client, harness._factory, runtime, TimeProvider.System, NullLoggerFactory.Instance, events: harness._events);
        harness._factory.Start(harness._cts.Token);
        await harness.Agent.StartAsync(CancellationToken.None);
        await harness.Agent.Registered.WaitAsync(Deadline);
        return harness;
    }

    public string Marker(int whole)
    {
        var m = TestUtil.UniqueSeconds(whole);
        _markers.Add(m);
        return m;
    }

    /// <summary>Creates pod <paramref name="name"/> in namespace default on node-1 (unless the spec names a node) and waits until all its containers run.</summary>
    public async Task<V1Pod> RunPodAsync(string name, V1PodSpec spec)
    {
        spec.NodeName ??= "node-1";
        await Client.CreateAsync(new V1Pod { ApiVersion = "v1", Kind = "Pod", Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" }, Spec = spec });
        return await WaitPodAsync(name, p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.All(c => c.State?.Running is not null) == true, "ran");
    }

    public async Task<V1Pod> WaitPodAsync(string name, Func<V1Pod, bool> condition, string what)
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

    /// <summary>The log of the latest run of a container, once <paramref name="condition"/> holds for it.</summary>
    public async Task<string> WaitLogAsync(string pod, string container, Func<string, bool> condition)
    {
        var log = "";
        var ok = await Wait.PollAsync(async () =>
        {
            var sandbox = (await Agent.Runtime.ListPodSandboxesAsync(CancellationToken.None)).FirstOrDefault(s => s.PodName == pod);
            var c = sandbox is null ? null : (await Agent.Runtime.ListContainersAsync(sandbox.Id, CancellationToken.None)).Where(c => c.Name == container).MaxBy(c => c.Attempt);
            log = c?.LogPath is { } path && File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
            return condition(log);
        }, Deadline);
        Assert.IsTrue(ok, $"the log of {pod}/{container} never matched; last: {log}");
        return log;
    }

    public async ValueTask DisposeAsync()
    {
        await Agent.StopAsync(CancellationToken.None);
        await Agent.DisposeAsync();
        await _cts.CancelAsync();
        await _factory.WhenStoppedAsync().WaitAsync(Deadline);
        await _events.DisposeAsync();
        foreach (var m in _markers)
        {
            ProcessTable.KillAll(m);
        }

        await Cluster.DisposeAsync();
        Mounts.UnmountUnder(DataDir);
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }

        _cts.Dispose();
    }
}
