using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Node.Agent;
using Kube.Node.Runtime;
using Kube.Node.Runtime.Cri;
using Kube.Testing.Containerd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests.Cri;

/// <summary>
/// The cri runtime against a real containerd (a private instance per class) running busybox-static images: pods run
/// in real containers through runc.
/// </summary>
[TestClass]
public sealed class CriRuntimeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private static PrivateContainerd? s_containerd;
    private static string? s_skip;
    private readonly List<CriRuntime> _runtimes = [];

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task ClassInit(TestContext context)
    {
        s_skip = PrivateContainerd.MissingTool();
        if (s_skip is null)
        {
            s_containerd = await PrivateContainerdCri.StartAsync(context.CancellationTokenSource.Token);
        }
    }

    [ClassCleanup]
    public static async Task ClassCleanup()
    {
        if (s_containerd is not null)
        {
            await s_containerd.DisposeAsync();
        }
    }

    [TestCleanup]
    public async Task Cleanup()
    {
        foreach (var r in _runtimes)
        {
            if (s_containerd is not null)
            {
                // A fresh client: the agent test's runtime was disposed with its agent.
                await using var cleaner = s_containerd.NewRuntime(r.Options.Owner);
                foreach (var s in await cleaner.ListPodSandboxesAsync(CancellationToken.None))
                {
                    await cleaner.RemovePodSandboxAsync(s.Id, CancellationToken.None);
                }
            }

            await r.DisposeAsync();
        }

        if (TestContext.CurrentTestOutcome != UnitTestOutcome.Passed && s_containerd is not null)
        {
            var log = s_containerd.ReadLog();
            TestContext.WriteLine("containerd log (tail):\n" + log[Math.Max(0, log.Length - 6000)..]);
        }
    }

    private async Task<CriRuntime> RuntimeAsync(string owner = "node-a")
    {
        if (s_skip is not null)
        {
            Assert.Inconclusive(s_skip);
        }

        var runtime = s_containerd!.NewRuntime(owner);
        _runtimes.Add(runtime);
        await runtime.InitializeAsync(Token);
        return runtime;
    }

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    private static PodSandboxConfig Pod(string name, IReadOnlyDictionary<string, string>? env = null) => new()
    {
        PodUid = Guid.NewGuid().ToString(),
        PodName = name,
        PodNamespace = "default",
        Environment = env ?? new Dictionary<string, string>(),
    };

    /// <summary>Runs a container of <paramref name="config"/> in a new sandbox of pod <paramref name="pod"/> and waits until it is Running.</summary>
    private async Task<string> RunningAsync(CriRuntime runtime, string pod, ContainerConfig config)
    {
        var sandboxId = await runtime.RunPodSandboxAsync(Pod(pod), Token);
        var id = await runtime.CreateContainerAsync(sandboxId, config, Token);
        await runtime.StartContainerAsync(id, Token);
        await WaitForStateAsync(runtime, id, ContainerState.Running);
        return id;
    }

    private static async Task<ContainerStatus> WaitForStateAsync(CriRuntime runtime, string id, ContainerState state)
    {
        ContainerStatus? last = null;
        var reached = await Wait.PollAsync(async () =>
        {
            last = await runtime.ContainerStatusAsync(id, CancellationToken.None);
            return last?.State == state;
        }, Deadline);
        Assert.IsTrue(reached, $"container {id} did not reach {state}; last status: {last}");
        return last!;
    }

    [TestMethod]
    public async Task Initialize_ReportsContainerdAndItsVersion()
    {
        var runtime = await RuntimeAsync();

        Assert.AreEqual("containerd", runtime.RuntimeName);
        Assert.AreNotEqual("unknown", runtime.RuntimeVersion);
        CollectionAssert.IsSubsetOf(new[] { PrivateContainerd.BusyboxImage, PrivateContainerd.PauseImage }, (await runtime.ListImagesAsync(Token)).ToList());
        var imageFs = await runtime.ImageFsInfoAsync(Token);
        Assert.AreEqual(1, imageFs.Count);
        StringAssert.StartsWith(imageFs[0].Mountpoint, Path.Combine(s_containerd!.Dir, "root"), "the private containerd's snapshotter holds the images");
    }

    [TestMethod]
    public async Task Container_RunsInAReadySandbox_ExitsWithItsCode_AndItsOutputIsInTheLogFile()
    {
        var runtime = await RuntimeAsync();
        var sandboxId = await runtime.RunPodSandboxAsync(Pod("writer", new Dictionary<string, string> { ["GREETING"] = "from-the-pod" }), Token);

        var sandbox = await runtime.PodSandboxStatusAsync(sandboxId, Token);
        Assert.IsNotNull(sandbox);
        Assert.AreEqual(PodSandboxState.Ready, sandbox.State);
        Assert.AreEqual("writer", sandbox.PodName);
        Assert.AreEqual("127.0.0.1", sandbox.Ip, "host networking: the pod has the node's loopback address");
        Assert.AreEqual(sandboxId, await runtime.RunPodSandboxAsync(Pod("writer") with { PodUid = sandbox.PodUid }, Token), "a ready sandbox of the same pod is reused");

        var volume = Path.Combine(s_containerd!.Dir, "volumes", "data");
        Directory.CreateDirectory(volume);
        await File.WriteAllTextAsync(Path.Combine(volume, "input"), "from-the-host\n", Token);
        var config = Path.Combine(s_containerd.Dir, "volumes", "config");
        Directory.CreateDirectory(config);
        var id = await runtime.CreateContainerAsync(sandboxId, new ContainerConfig
        {
            Name = "main",
            Image = PrivateContainerd.BusyboxImage,
            Command = ["/bin/sh", "-c"],
            Args = ["echo hello-cri $GREETING $OWN; echo err-line >&2; echo in-container > /tmp/out; cat /tmp/out; "
                + "cat /data/input; echo written > /data/output; echo x > /config/denied || echo read-only; exit 3"],
            Environment = new Dictionary<string, string> { ["OWN"] = "own-var" },
            Mounts =
            [
                new ContainerMount { ContainerPath = "/data", HostPath = volume },
                new ContainerMount { ContainerPath = "/config", HostPath = config, ReadOnly = true },
            ],
        }, Token);

        var created = await runtime.ContainerStatusAsync(id, Token);
        Assert.IsNotNull(created);
        Assert.AreEqual(ContainerState.Created, created.State);
        Assert.AreEqual("main", created.Name);
        Assert.AreEqual(sandboxId, created.SandboxId);
        Assert.IsNull(created.ExitCode);

        await runtime.StartContainerAsync(id, Token);
        var exited = await WaitForStateAsync(runtime, id, ContainerState.Exited);

        Assert.AreEqual(3, exited.ExitCode);
        Assert.AreEqual("Error", exited.Reason);
        Assert.IsNotNull(exited.StartedAt);
        Assert.IsNotNull(exited.FinishedAt);
        Assert.IsNull(exited.Pid, "CRI reports no host pid");
        Assert.IsNotNull(exited.LogPath);
        StringAssert.StartsWith(exited.LogPath, Path.Combine(s_containerd!.Dir, "logs", "node-a"));
        var log = await File.ReadAllTextAsync(exited.LogPath, Token);
        StringAssert.Contains(log, " stdout F hello-cri from-the-pod own-var\n", "pod env and container env reach the process; CRI log format");
        StringAssert.Contains(log, " stderr F err-line\n");
        StringAssert.Contains(log, " stdout F in-container\n", "the container writes its own root filesystem");
        StringAssert.Contains(log, " stdout F from-the-host\n", "a mount shows the host directory");
        StringAssert.Contains(log, " stdout F read-only\n", "a read-only mount refuses writes");
        Assert.AreEqual("written\n", await File.ReadAllTextAsync(Path.Combine(volume, "output"), Token), "writes to a mount reach the host");
        Assert.IsFalse(File.Exists(Path.Combine(config, "denied")));

        var listed = await runtime.ListContainersAsync(sandboxId, Token);
        Assert.AreEqual(1, listed.Count);
        Assert.AreEqual(3, listed[0].ExitCode);
    }

    [TestMethod]
    public async Task ExecSync_RunsInTheRunningContainer_ThenStopKillsIt_AndRemoveForgetsIt()
    {
        var runtime = await RuntimeAsync();
        var sandboxId = await runtime.RunPodSandboxAsync(Pod("sleeper"), Token);
        var id = await runtime.CreateContainerAsync(sandboxId, new ContainerConfig
        {
            Name = "sleep",
            Image = PrivateContainerd.BusyboxImage,
            Command = ["/bin/sh", "-c", "echo ready > /tmp/state; exec sleep 3600"],
        }, Token);
        await runtime.StartContainerAsync(id, Token);
        var running = await WaitForStateAsync(runtime, id, ContainerState.Running);
        Assert.IsNotNull(running.StartedAt);

        ExecResult? state = null;
        Assert.IsTrue(await Wait.PollAsync(async () =>
        {
            state = await runtime.ExecSyncAsync(id, ["cat", "/tmp/state"], TimeSpan.FromSeconds(5), Token);
            return state.ExitCode == 0;
        }, Deadline), $"exec cat /tmp/state: {state}");
        Assert.AreEqual("ready\n", state!.Output, "exec sees the container's file system");

        var failing = await runtime.ExecSyncAsync(id, ["/bin/sh", "-c", "echo out; echo err >&2; exit 7"], TimeSpan.FromSeconds(5), Token);
        Assert.AreEqual(7, failing.ExitCode);
        Assert.IsFalse(failing.TimedOut);
        StringAssert.Contains(failing.Output, "out\n");
        StringAssert.Contains(failing.Output, "err\n");

        var slow = await runtime.ExecSyncAsync(id, ["sleep", "30"], TimeSpan.FromSeconds(1), Token);
        Assert.IsTrue(slow.TimedOut, $"an exec past its timeout is reported timed out: {slow}");

        // sleep is pid 1 in its PID namespace and ignores SIGTERM: the stop escalates to SIGKILL after the timeout.
        await runtime.StopContainerAsync(id, TimeSpan.FromSeconds(1), Token);
        var stopped = await runtime.ContainerStatusAsync(id, Token);
        Assert.AreEqual(ContainerState.Exited, stopped?.State);
        Assert.AreEqual(137, stopped?.ExitCode);

        var afterStop = await runtime.ExecSyncAsync(id, ["true"], TimeSpan.FromSeconds(2), Token);
        Assert.AreNotEqual(0, afterStop.ExitCode, "no exec in a stopped container");

        await runtime.StopContainerAsync(id, TimeSpan.FromSeconds(1), Token);
        await runtime.RemoveContainerAsync(id, Token);
        await runtime.RemoveContainerAsync(id, Token);
        Assert.IsNull(await runtime.ContainerStatusAsync(id, Token));
        Assert.AreEqual(0, (await runtime.ListContainersAsync(sandboxId, Token)).Count);
    }

    [TestMethod]
    public async Task StartExec_WithATerminal_RunsOnAConsoleOfOurSize_ThroughCtrTty_AndReportsTheExitCode()
    {
        var runtime = await RuntimeAsync();
        var id = await RunningAsync(runtime, "tty", new ContainerConfig
        {
            Name = "sleep",
            Image = PrivateContainerd.BusyboxImage,
            Command = ["/bin/sh", "-c", "exec sleep 3600"],
        });

        using var exec = await runtime.StartExecAsync(id, ["/bin/sh", "-c", "until [ \"$(stty size 2>/dev/null)\" = '21 77' ]; do sleep 0.1; done; tty; stty size; exit 5"],
            new TerminalSize(77, 21), Token);
        var output = new System.Text.StringBuilder();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(Deadline);
        var buffer = new byte[4096];
        int n;
        while ((n = await exec.Stdout.ReadAsync(buffer, timeout.Token)) > 0)
        {
            output.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        }

        var code = await exec.WaitForExitAsync(timeout.Token);

        Assert.IsTrue(exec.IsTerminal);
        StringAssert.Matches(output.ToString(), new System.Text.RegularExpressions.Regex(@"/dev/pts/\d+\r+\n21 77\r+\n"),
            "ctr --tty gives the command a console that takes our pty's size (just after it started); lines end in CR CR LF through ctr 1.6 although our pty is raw");
        Assert.AreEqual(5, code);
    }

    [TestMethod]
    public async Task Attach_ThroughContainerdsStreamingServer_KeepsStdoutAndStderrApart_FeedsStdin_AndEndsWithTheContainer()
    {
        var runtime = await RuntimeAsync();
        var id = await RunningAsync(runtime, "attached", new ContainerConfig
        {
            Name = "echo",
            Image = PrivateContainerd.BusyboxImage,
            Stdin = true,
            StdinOnce = true,
            Command = ["/bin/sh", "-c", "while read line; do echo \"out:$line\"; echo \"err:$line\" >&2; done; echo bye; exit 4"],
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(Deadline);
        using var attach = await runtime.AttachAsync(id, stdin: true, stdout: true, stderr: true, tty: false, timeout.Token);
        var stdout = new StreamReader(attach.Stdout).ReadToEndAsync(timeout.Token);
        var stderr = new StreamReader(attach.Stderr).ReadToEndAsync(timeout.Token);
        await attach.Stdin.WriteAsync("a\nb\n"u8.ToArray(), timeout.Token);
        // The end of our input is the end of the container's (stdinOnce): its loop ends and it says bye.
        attach.Stdin.Dispose();

        Assert.AreEqual(0, await attach.WaitForExitAsync(timeout.Token), "an attach ends with Success when the container stops");
        Assert.AreEqual("out:a\nout:b\nbye\n", await stdout);
        Assert.AreEqual("err:a\nerr:b\n", await stderr);
        Assert.IsFalse(attach.IsTerminal);
        Assert.AreEqual(4, (await WaitForStateAsync(runtime, id, ContainerState.Exited)).ExitCode);
    }

    [TestMethod]
    public async Task Attach_WithATerminal_SetsItsSize_AndDetachingLeavesTheContainerRunning()
    {
        var runtime = await RuntimeAsync();
        var id = await RunningAsync(runtime, "attached-tty", new ContainerConfig
        {
            Name = "shell",
            Image = PrivateContainerd.BusyboxImage,
            Stdin = true,
            Tty = true,
            Command = ["/bin/sh", "-c", "until [ \"$(stty size)\" = '21 77' ]; do sleep 0.1; done; echo sized-$((20+1)); exec sleep 3600"],
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(Deadline);
        var attach = await runtime.AttachAsync(id, stdin: true, stdout: true, stderr: true, tty: true, timeout.Token);
        Assert.IsTrue(attach.IsTerminal);
        attach.Resize(new TerminalSize(77, 21));
        var output = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        int n;
        while (!output.ToString().Contains("sized-21", StringComparison.Ordinal) && (n = await attach.Stdout.ReadAsync(buffer, timeout.Token)) > 0)
        {
            output.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        }

        StringAssert.Contains(output.ToString(), "sized-21", "the container's terminal took the size sent on the resize stream");
        Assert.AreEqual("", await new StreamReader(attach.Stderr).ReadToEndAsync(timeout.Token), "no stderr with a terminal");

        attach.Kill();
        Assert.AreEqual(0, await attach.WaitForExitAsync(timeout.Token));
        attach.Dispose();
        Assert.AreEqual(ContainerState.Running, (await runtime.ContainerStatusAsync(id, Token))?.State, "detaching leaves the container running");
    }

    [TestMethod]
    public async Task StopAndRemoveSandbox_StopTheContainers_AreIdempotent_AndOwnersSeeOnlyTheirPods()
    {
        var runtime = await RuntimeAsync("node-a");
        var other = await RuntimeAsync("node-b");
        var sandboxId = await runtime.RunPodSandboxAsync(Pod("web"), Token);
        var otherSandbox = await other.RunPodSandboxAsync(Pod("other"), Token);
        var id = await runtime.CreateContainerAsync(sandboxId, new ContainerConfig
        {
            Name = "web",
            Image = PrivateContainerd.BusyboxImage,
            Command = ["/bin/sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"],
        }, Token);
        await runtime.StartContainerAsync(id, Token);
        await WaitForStateAsync(runtime, id, ContainerState.Running);

        CollectionAssert.AreEqual(new[] { sandboxId }, (await runtime.ListPodSandboxesAsync(Token)).Select(s => s.Id).ToList());
        CollectionAssert.AreEqual(new[] { otherSandbox }, (await other.ListPodSandboxesAsync(Token)).Select(s => s.Id).ToList());
        Assert.AreEqual(0, (await other.ListContainersAsync(null, Token)).Count);

        await runtime.StopPodSandboxAsync(sandboxId, TimeSpan.FromSeconds(10), Token);
        var stopped = await runtime.ContainerStatusAsync(id, Token);
        Assert.AreEqual(ContainerState.Exited, stopped?.State);
        Assert.AreEqual(0, stopped?.ExitCode, "the grace period let the container handle SIGTERM");
        Assert.AreEqual(PodSandboxState.NotReady, (await runtime.PodSandboxStatusAsync(sandboxId, Token))?.State);
        await runtime.StopPodSandboxAsync(sandboxId, TimeSpan.Zero, Token);
        await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => runtime.CreateContainerAsync(sandboxId, new ContainerConfig { Name = "late", Image = PrivateContainerd.BusyboxImage }, Token));

        await runtime.RemovePodSandboxAsync(sandboxId, Token);
        await runtime.RemovePodSandboxAsync(sandboxId, Token);
        Assert.IsNull(await runtime.PodSandboxStatusAsync(sandboxId, Token));
        Assert.IsNull(await runtime.ContainerStatusAsync(id, Token));
        Assert.AreEqual(0, (await runtime.ListPodSandboxesAsync(Token)).Count);
        Assert.AreEqual(1, (await other.ListPodSandboxesAsync(Token)).Count, "the other owner's pod is untouched");

        await Assert.ThrowsExactlyAsync<KeyNotFoundException>(() => runtime.CreateContainerAsync("no-such-sandbox", new ContainerConfig { Name = "x", Image = PrivateContainerd.BusyboxImage }, Token));
        await Assert.ThrowsExactlyAsync<KeyNotFoundException>(() => runtime.StartContainerAsync("no-such-container", Token));
        await runtime.StopContainerAsync("no-such-container", TimeSpan.Zero, Token);
    }

    [TestMethod]
    public async Task StartContainer_WithAMissingExecutable_EndsExitedWithAReason()
    {
        var runtime = await RuntimeAsync();
        var sandboxId = await runtime.RunPodSandboxAsync(Pod("broken"), Token);
        var id = await runtime.CreateContainerAsync(sandboxId, new ContainerConfig
        {
            Name = "broken",
            Image = PrivateContainerd.BusyboxImage,
            Command = ["/no/such/binary"],
        }, Token);

        await runtime.StartContainerAsync(id, Token);

        var status = await runtime.ContainerStatusAsync(id, Token);
        Assert.AreEqual(ContainerState.Exited, status?.State);
        Assert.AreNotEqual(0, status?.ExitCode);
        Assert.IsFalse(string.IsNullOrEmpty(status?.Reason), $"a reason is reported: {status}");
    }

    [TestMethod]
    public async Task CreateContainer_Throws_WhenTheImageIsNeitherPresentNorPullable()
    {
        var runtime = await RuntimeAsync();
        var sandboxId = await runtime.RunPodSandboxAsync(Pod("missing-image"), Token);

        var ex = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => runtime.CreateContainerAsync(
            sandboxId, new ContainerConfig { Name = "c", Image = "k8s.test/not-imported:1" }, Token));

        StringAssert.Contains(ex.Message, "k8s.test/not-imported:1");
    }

    [TestMethod]
    public void Provider_IsNamedCri_AndCreatesACriRuntimeOnItsSocket()
    {
        var provider = new CriRuntimeProvider("/run/test/containerd.sock");
        var options = new NodeAgentOptions { NodeName = "node-x", DataDir = "/tmp/kube-node-x" };

        var runtime = provider.Create(options, new ServiceCollection().BuildServiceProvider());

        Assert.AreEqual("cri", provider.Name);
        Assert.AreEqual(CriRuntimeOptions.DefaultSocketPath, new CriRuntimeProvider().SocketPath);
        var cri = Assert.IsInstanceOfType<CriRuntime>(runtime);
        Assert.AreEqual("/run/test/containerd.sock", cri.Options.SocketPath);
        Assert.AreEqual("node-x", cri.Options.Owner);
        Assert.AreEqual("/tmp/kube-node-x/cri/pods", cri.Options.LogRoot);
    }

    [TestMethod]
    public async Task NodeAgent_WithTheCriRuntime_RunsAPodInAContainer_AndDeletesIt()
    {
        var runtime = await RuntimeAsync("cri-node");
        await using var cluster = await TestCluster.StartAsync();
        var dataDir = Path.Combine(s_containerd!.Dir, "agent");
        var options = new NodeAgentOptions
        {
            NodeName = "cri-node",
            DataDir = dataDir,
            NodeIndex = 1,
            NodeStatusUpdateInterval = TimeSpan.FromSeconds(1),
            LeaseRenewInterval = TimeSpan.FromSeconds(1),
            RelistInterval = TimeSpan.FromMilliseconds(200),
            ShutdownGracePeriod = TimeSpan.FromSeconds(2),
        };
        var factory = new SharedInformerFactory(cluster.Client);
        using var cts = new CancellationTokenSource();
        var agent = new NodeAgent(options, cluster.Client, factory, runtime, TimeProvider.System, NullLoggerFactory.Instance);
        factory.Start(cts.Token);
        await agent.StartAsync(CancellationToken.None);
        try
        {
            await agent.Registered.WaitAsync(Deadline);
            await cluster.Client.CreateAsync(new V1Pod
            {
                ApiVersion = "v1",
                Kind = "Pod",
                Metadata = new V1ObjectMeta { Name = "in-containerd", NamespaceProperty = "default" },
                Spec = new V1PodSpec
                {
                    NodeName = "cri-node",
                    TerminationGracePeriodSeconds = 1,
                    Containers = [new V1Container { Name = "main", Image = PrivateContainerd.BusyboxImage, Command = ["/bin/sh", "-c", "echo started-by-agent; exec sleep 3600"] }],
                },
            });

            V1Pod? pod = null;
            var running = await Wait.PollAsync(async () =>
            {
                pod = await cluster.Client.GetAsync<V1Pod>("in-containerd", "default");
                return pod.Status?.Phase == "Running" && pod.Status.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null;
            }, TimeSpan.FromSeconds(30));
            Assert.IsTrue(running, $"the pod never ran: {k8s.KubernetesJson.Serialize(pod?.Status)}");
            Assert.AreEqual("127.0.0.1", pod!.Status.PodIP);

            var containers = await runtime.ListContainersAsync(null, Token);
            var main = containers.Single(c => c.Name == "main");
            Assert.AreEqual(ContainerState.Running, main.State);
            var exec = await runtime.ExecSyncAsync(main.Id, ["cat", "/proc/1/cmdline"], TimeSpan.FromSeconds(5), Token);
            Assert.AreEqual("sleep\u00003600\u0000", exec.Output, "the pod's process is pid 1 of a real container");
            Assert.IsTrue(await Wait.PollAsync(() => File.Exists(main.LogPath!) && File.ReadAllText(main.LogPath!).Contains(" stdout F started-by-agent\n", StringComparison.Ordinal),
                Deadline), "the container's output is in its CRI log");

            await cluster.Client.DeleteAsync<V1Pod>("in-containerd", "default");
            Assert.IsTrue(await Wait.PollAsync(async () =>
            {
                try
                {
                    await cluster.Client.GetAsync<V1Pod>("in-containerd", "default");
                    return false;
                }
                catch (NotFoundException)
                {
                    return true;
                }
            }, TimeSpan.FromSeconds(30)), "the pod is deleted once its container is gone");
            Assert.IsTrue(await Wait.PollAsync(async () => (await runtime.ListContainersAsync(null, Token)).All(c => c.State != ContainerState.Running), Deadline),
                "no container of the pod keeps running");
        }
        finally
        {
            await agent.StopAsync(CancellationToken.None);
            await agent.DisposeAsync();
            await cts.CancelAsync();
        }
    }
}
