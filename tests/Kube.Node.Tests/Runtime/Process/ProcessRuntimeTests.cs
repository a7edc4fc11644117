using Kube.Node.Runtime;
using Kube.Node.Runtime.Process;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests.Runtime.Process;

[TestClass]
public sealed class ProcessRuntimeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly List<ProcessRuntime> _runtimes = [];
    private readonly List<string> _markers = [];
    private string _dataDir = "";

    [TestInitialize]
    public void Init() => _dataDir = TempDirs.Create("kube-node-runtime");

    [TestCleanup]
    public async Task Cleanup()
    {
        foreach (var rt in _runtimes)
        {
            foreach (var s in await rt.ListPodSandboxesAsync(CancellationToken.None))
            {
                await rt.StopPodSandboxAsync(s.Id, TimeSpan.Zero, CancellationToken.None);
            }

            await rt.DisposeAsync();
        }

        foreach (var marker in _markers)
        {
            ProcessTable.KillAll(marker);
        }

        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<ProcessRuntime> NewRuntimeAsync(string podCidr = "127.1.0.0/24")
    {
        var rt = new ProcessRuntime(new ProcessRuntimeOptions { DataDir = _dataDir, PodCidr = podCidr }, TimeProvider.System, NullLogger<ProcessRuntime>.Instance);
        await rt.InitializeAsync(CancellationToken.None);
        _runtimes.Add(rt);
        return rt;
    }

    private static PodSandboxConfig Pod(string name, string? uid = null) => new()
    {
        PodUid = uid ?? Guid.NewGuid().ToString(),
        PodName = name,
        PodNamespace = "default",
        Environment = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "127.10.0.1" },
    };

    private string Marker(int whole)
    {
        var m = TestUtil.UniqueSeconds(whole);
        _markers.Add(m);
        return m;
    }

    private static async Task<ContainerStatus> WaitStateAsync(IContainerRuntime rt, string id, ContainerState state)
    {
        ContainerStatus? status = null;
        var ok = await Wait.PollAsync(async () => (status = await rt.ContainerStatusAsync(id, CancellationToken.None))?.State == state, Deadline);
        Assert.IsTrue(ok, $"container never reached {state}; last: {status}");
        return status!;
    }

    private static async Task<string> RunAsync(IContainerRuntime rt, string sandbox, string name, IReadOnlyList<string> command, IReadOnlyList<string>? args = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var id = await rt.CreateContainerAsync(sandbox, new ContainerConfig
        {
            Name = name,
            Image = "busybox",
            Command = command,
            Args = args ?? [],
            Environment = env ?? new Dictionary<string, string>(),
        }, CancellationToken.None);
        await rt.StartContainerAsync(id, CancellationToken.None);
        return id;
    }

    [TestMethod]
    public async Task Container_ExitCodeAndOutput_AreRecorded()
    {
        var rt = await NewRuntimeAsync();
        var sb = await rt.RunPodSandboxAsync(Pod("echo"), CancellationToken.None);
        var id = await RunAsync(rt, sb, "main", ["sh", "-c", "echo hi; echo oops >&2; exit 3"]);

        var status = await WaitStateAsync(rt, id, ContainerState.Exited);

        Assert.AreEqual(3, status.ExitCode);
        Assert.AreEqual("Error", status.Reason);
        Assert.IsNotNull(status.StartedAt);
        Assert.IsNotNull(status.FinishedAt);
        var log = await File.ReadAllTextAsync(status.LogPath!);
        Assert.AreEqual("hi\noops\n", log);
    }

    [TestMethod]
    public async Task Container_ArgsOnly_AreTheCommandLine_WithoutShell_InOwnSession()
    {
        var rt = await NewRuntimeAsync();
        var sb = await rt.RunPodSandboxAsync(Pod("sleeper"), CancellationToken.None);
        var marker = Marker(3612);
        var id = await RunAsync(rt, sb, "main", [], ["sleep", marker]);

        var status = await WaitStateAsync(rt, id, ContainerState.Running);

        var pids = ProcessTable.Find("sleep " + marker);
        CollectionAssert.AreEqual(new[] { status.Pid!.Value }, pids);
        Assert.AreEqual("sleep\0" + marker + "\0", await File.ReadAllTextAsync($"/proc/{status.Pid}/cmdline"));
        Assert.AreEqual((status.Pid.Value, status.Pid.Value), ProcessTable.GroupOf(status.Pid.Value), "the container leads its own session and process group");

        await rt.StopContainerAsync(id, TimeSpan.FromSeconds(5), CancellationToken.None);
        var stopped = await rt.ContainerStatusAsync(id, CancellationToken.None);
        Assert.AreEqual(ContainerState.Exited, stopped!.State);
        Assert.AreEqual(128 + 15, stopped.ExitCode, "SIGTERM ends sleep: 128 + 15");
        Assert.AreEqual(0, ProcessTable.Find("sleep " + marker).Count);
    }

    [TestMethod]
    public async Task Stop_KillsChildrenInTheProcessGroup()
    {
        var rt = await NewRuntimeAsync();
        var sb = await rt.RunPodSandboxAsync(Pod("parent"), CancellationToken.None);
        var marker = Marker(1000);
        var id = await RunAsync(rt, sb, "main", ["sh", "-c", $"sleep {marker} & wait"]);
        await WaitStateAsync(rt, id, ContainerState.Running);
        Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find(marker).Count == 2, Deadline), "the shell and its child sleep run");

        await rt.StopContainerAsync(id, TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find(marker).Count == 0, Deadline), "the child of the container is gone too");
        Assert.AreEqual(ContainerState.Exited, (await rt.ContainerStatusAsync(id, CancellationToken.None))!.State);
    }

    [TestMethod]
    public async Task Stop_SendsSigterm_ThatATrapObserves()
    {
        var rt = await NewRuntimeAsync();
        var sb = await rt.RunPodSandboxAsync(Pod("trap"), CancellationToken.None);
        var id = await RunAsync(rt, sb, "main", ["sh", "-c", "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.05; done"]);
        var running = await WaitStateAsync(rt, id, ContainerState.Running);
        Assert.IsTrue(await Wait.PollAsync(() => File.ReadAllText(running.LogPath!).Contains("ready"), Deadline));

        await rt.StopContainerAsync(id, TimeSpan.FromSeconds(5), CancellationToken.None);

        var status = (await rt.ContainerStatusAsync(id, CancellationToken.None))!;
        Assert.AreEqual(0, status.ExitCode, "the trap exits 0");
        Assert.AreEqual("Completed", status.Reason);
        StringAssert.Contains(await File.ReadAllTextAsync(status.LogPath!), "got-term");
    }

    [TestMethod]
    public async Task Stop_EscalatesToSigkill_AfterTheGracePeriod()
    {
        var rt = await NewRuntimeAsync();
        var sb = await rt.RunPodSandboxAsync(Pod("stubborn"), CancellationToken.None);
        var id = await RunAsync(rt, sb, "main", ["sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.05; done"]);
        var running = await WaitStateAsync(rt, id, ContainerState.Running);
        Assert.IsTrue(await Wait.PollAsync(() => File.ReadAllText(running.LogPath!).Contains("ready"), Deadline));

        var started = DateTime.UtcNow;
        await rt.StopContainerAsync(id, TimeSpan.FromMilliseconds(400), CancellationToken.None);

        Assert.IsTrue(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(390), "waited for the grace period");
        var status = (await rt.ContainerStatusAsync(id, CancellationToken.None))!;
        Assert.AreEqual(128 + 9, status.ExitCode);
    }

    [TestMethod]
    [DataRow(new string[0], new string[0], "neither command nor args")]
    [DataRow(new[] { "no-such-binary-kube-test" }, new string[0], "executable file not found")]
    public async Task Start_Failure_IsAStartErrorInTheStatus(string[] command, string[] args, string message)
    {
        var rt = await NewRuntimeAsync();
        var sb = await rt.RunPodSandboxAsync(Pod("broken"), CancellationToken.None);
        var id = await RunAsync(rt, sb, "main", command, args);

        var status = (await rt.ContainerStatusAsync(id, CancellationToken.None))!;

        Assert.AreEqual(ContainerState.Exited, status.State);
        Assert.AreEqual("StartError", status.Reason);
        Assert.AreEqual(128, status.ExitCode);
        StringAssert.Contains(status.Message, message);
    }

    [TestMethod]
    public async Task Container_GetsEnvironment_AndPodWorkingDirectory()
    {
        var rt = await NewRuntimeAsync("127.1.7.0/24");
        var sb = await rt.RunPodSandboxAsync(Pod("envpod"), CancellationToken.None);
        var id = await RunAsync(rt, sb, "main", ["sh", "-c", "echo \"$HOSTNAME|$POD_IP|$FOO|$KUBERNETES_SERVICE_HOST\"; pwd"], env: new Dictionary<string, string> { ["FOO"] = "bar baz" });

        var status = await WaitStateAsync(rt, id, ContainerState.Exited);
        var sandbox = (await rt.PodSandboxStatusAsync(sb, CancellationToken.None))!;

        Assert.AreEqual(0, status.ExitCode);
        Assert.AreEqual("127.1.7.2", sandbox.Ip);
        var lines = (await File.ReadAllTextAsync(status.LogPath!)).Split('\n');
        Assert.AreEqual("envpod|127.1.7.2|bar baz|127.10.0.1", lines[0]);
        Assert.AreEqual(sandbox.WorkingDirectory!.TrimEnd('/'), lines[1]);
        Assert.AreEqual(Path.Combine(_dataDir, "pods", sandbox.PodUid), sandbox.WorkingDirectory);
    }

    [TestMethod]
    public async Task NewRuntime_AdoptsRunningProcesses_FromTheStateFile()
    {
        var rt1 = await NewRuntimeAsync();
        var uid = Guid.NewGuid().ToString();
        var sb = await rt1.RunPodSandboxAsync(Pod("adopt", uid), CancellationToken.None);
        var marker = Marker(3612);
        var id = await RunAsync(rt1, sb, "main", ["sleep", marker]);
        var before = await WaitStateAsync(rt1, id, ContainerState.Running);
        var ip = (await rt1.PodSandboxStatusAsync(sb, CancellationToken.None))!.Ip;
        await rt1.DisposeAsync();
        _runtimes.Remove(rt1);

        var rt2 = await NewRuntimeAsync();

        var after = (await rt2.ContainerStatusAsync(id, CancellationToken.None))!;
        Assert.AreEqual(ContainerState.Running, after.State);
        Assert.AreEqual(before.Pid, after.Pid);
        Assert.AreEqual(before.StartedAt, after.StartedAt);
        Assert.AreEqual(ip, (await rt2.PodSandboxStatusAsync(sb, CancellationToken.None))!.Ip);
        Assert.AreEqual(sb, await rt2.RunPodSandboxAsync(Pod("adopt", uid), CancellationToken.None), "the ready sandbox is reused");
        Assert.AreEqual(1, ProcessTable.Find("sleep " + marker).Count);

        await rt2.StopContainerAsync(id, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.AreEqual(0, ProcessTable.Find("sleep " + marker).Count);
        Assert.AreEqual(143, (await rt2.ContainerStatusAsync(id, CancellationToken.None))!.ExitCode);
    }

    [TestMethod]
    public async Task Output_KeepsStdoutAndStderrApart_AndANewRuntimeResumesIt_LosingNothingWrittenMeanwhile()
    {
        var rt1 = await NewRuntimeAsync();
        var sb = await rt1.RunPodSandboxAsync(Pod("talker"), CancellationToken.None);
        // Each SIGUSR1 makes it write one numbered line to stdout and one to stderr.
        var id = await RunAsync(rt1, sb, "main", ["sh", "-c", "n=0; trap 'echo out$n; echo err$n >&2; n=$((n+1))' USR1; echo ready; while :; do sleep 0.05; done"]);
        var running = await WaitStateAsync(rt1, id, ContainerState.Running);
        Assert.IsTrue(await Wait.PollAsync(() => File.ReadAllText(running.LogPath!).Contains("ready"), Deadline));

        using (var output = ((IAttachRuntime)rt1).OpenOutput(id)!)
        {
            Signal(running.Pid!.Value);
            Assert.AreEqual("out0\n", await ReadUntilAsync(output.Stdout, "out0\n"));
            Assert.AreEqual("err0\n", await ReadUntilAsync(output.Stderr, "err0\n"));
        }

        await rt1.DisposeAsync();
        _runtimes.Remove(rt1);
        // No runtime reads now: the container's writes wait in its FIFOs.
        Signal(running.Pid!.Value);
        var rt2 = await NewRuntimeAsync();
        Assert.IsTrue(await Wait.PollAsync(() => File.ReadAllText(running.LogPath!) is var log && log.Contains("out1\n") && log.Contains("err1\n"), Deadline),
            "what the container wrote while no runtime read reaches its log once a new runtime adopts it: " + File.ReadAllText(running.LogPath!));

        using var resumed = ((IAttachRuntime)rt2).OpenOutput(id)!;
        Signal(running.Pid!.Value);
        Assert.AreEqual("out2\n", await ReadUntilAsync(resumed.Stdout, "out2\n"));
        Assert.AreEqual("err2\n", await ReadUntilAsync(resumed.Stderr, "err2\n"));
        await rt2.StopContainerAsync(id, TimeSpan.Zero, CancellationToken.None);
        await resumed.Ended.WaitAsync(Deadline);
        var all = await File.ReadAllTextAsync(running.LogPath!);
        foreach (var line in new[] { "ready\n", "out0\n", "err0\n", "out1\n", "err1\n", "out2\n", "err2\n" })
        {
            StringAssert.Contains(all, line, "the log has both streams");
        }
    }

    private static void Signal(int pid) => Assert.AreEqual(0, LibC.Kill(pid, 10 /* SIGUSR1 */));

    private static async Task<string> ReadUntilAsync(Stream stream, string expected)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        var text = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().Contains(expected, StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            Assert.AreNotEqual(0, n, $"the stream ended before \"{expected}\"; it had: {text}");
            text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        }

        return text.ToString();
    }

    [TestMethod]
    public async Task NewRuntime_MarksProcessesThatDied_AsExited()
    {
        var rt1 = await NewRuntimeAsync();
        var sb = await rt1.RunPodSandboxAsync(Pod("gone"), CancellationToken.None);
        var marker = Marker(3613);
        var id = await RunAsync(rt1, sb, "main", ["sleep", marker]);
        var running = await WaitStateAsync(rt1, id, ContainerState.Running);
        await rt1.DisposeAsync();
        _runtimes.Remove(rt1);
        // The process dies while no runtime watches it.
        System.Diagnostics.Process.GetProcessById(running.Pid!.Value).Kill();
        Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find(marker).Count == 0, Deadline));

        var rt2 = await NewRuntimeAsync();

        var status = (await rt2.ContainerStatusAsync(id, CancellationToken.None))!;
        Assert.AreEqual(ContainerState.Exited, status.State);
        Assert.IsNull(status.Pid);
    }

    [TestMethod]
    public async Task RemoveSandbox_KillsProcesses_AndReleasesTheIp()
    {
        var rt = await NewRuntimeAsync("127.1.9.0/29");
        var uid = Guid.NewGuid().ToString();
        var sb = await rt.RunPodSandboxAsync(Pod("rm", uid), CancellationToken.None);
        var marker = Marker(3614);
        var id = await RunAsync(rt, sb, "main", ["sleep", marker]);
        await WaitStateAsync(rt, id, ContainerState.Running);
        var ip = (await rt.PodSandboxStatusAsync(sb, CancellationToken.None))!.Ip;

        await rt.RemovePodSandboxAsync(sb, CancellationToken.None);

        Assert.AreEqual(0, ProcessTable.Find(marker).Count);
        Assert.IsNull(await rt.PodSandboxStatusAsync(sb, CancellationToken.None));
        Assert.IsNull(await rt.ContainerStatusAsync(id, CancellationToken.None));
        Assert.IsFalse(Directory.Exists(Path.Combine(_dataDir, "pods", uid)));
        Assert.IsFalse(File.ReadAllText(Path.Combine(_dataDir, "pod-ips.json")).Contains(uid), "the IP is released");
        Assert.IsNotNull(ip);
    }

    [TestMethod]
    public async Task NewRuntime_AdoptsAProcessThatIsNotItsChild_AndNoticesItsDeathThroughProc()
    {
        // After a kill -9 of the agent its processes are re-parented: the next agent cannot waitpid them.
        var marker = Marker(3615);
        var psi = new System.Diagnostics.ProcessStartInfo("sh") { RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"sleep {marker} >/dev/null 2>&1 & echo $!");
        using (var sh = System.Diagnostics.Process.Start(psi)!)
        {
            var orphanPid = int.Parse((await sh.StandardOutput.ReadToEndAsync()).Trim());
            await sh.WaitForExitAsync();

            var rt1 = await NewRuntimeAsync();
            var uid = Guid.NewGuid().ToString();
            var sb = await rt1.RunPodSandboxAsync(Pod("orphan", uid), CancellationToken.None);
            await rt1.DisposeAsync();
            _runtimes.Remove(rt1);
            var stateFile = Path.Combine(_dataDir, "pods", uid, "sandbox.json");
            var state = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(stateFile))!;
            state["Containers"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject
            {
                ["Id"] = "c-orphan",
                ["SandboxId"] = sb,
                ["Name"] = "main",
                ["State"] = "Running",
                ["Pid"] = orphanPid,
                ["PidStartTicks"] = ProcStat.Read(orphanPid)!.Value.StartTicks,
                ["StartedAt"] = DateTimeOffset.UtcNow.ToString("O"),
            });
            await File.WriteAllTextAsync(stateFile, state.ToJsonString());

            var rt2 = await NewRuntimeAsync();

            var adopted = (await rt2.ContainerStatusAsync("c-orphan", CancellationToken.None))!;
            Assert.AreEqual(ContainerState.Running, adopted.State);
            Assert.AreEqual(orphanPid, adopted.Pid);

            await rt2.StopContainerAsync("c-orphan", TimeSpan.FromSeconds(5), CancellationToken.None);

            var stopped = (await rt2.ContainerStatusAsync("c-orphan", CancellationToken.None))!;
            Assert.AreEqual(ContainerState.Exited, stopped.State);
            Assert.AreEqual("ContainerStatusUnknown", stopped.Reason, "the exit code of a process that is not our child cannot be read");
            Assert.AreEqual(0, ProcessTable.Find("sleep " + marker).Count);
        }
    }

    [TestMethod]
    public async Task NewRuntime_KillsMarkedProcessesItsStateDoesNotKnow_ButKeepsChildrenOfKnownContainers()
    {
        var rt1 = await NewRuntimeAsync();
        var sb = await rt1.RunPodSandboxAsync(Pod("lost"), CancellationToken.None);
        var lost = Marker(3616);
        var kept = Marker(3617);
        var lostId = await RunAsync(rt1, sb, "lost", ["sleep", lost]);
        var keptId = await RunAsync(rt1, sb, "kept", ["sh", "-c", $"sleep {kept} & wait"]);
        await WaitStateAsync(rt1, lostId, ContainerState.Running);
        await WaitStateAsync(rt1, keptId, ContainerState.Running);
        Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find(kept).Count == 2, Deadline));
        await rt1.DisposeAsync();
        _runtimes.Remove(rt1);
        // As if the agent died right after spawning "lost", before its state file recorded it.
        var stateFile = Directory.GetFiles(Path.Combine(_dataDir, "pods"), "sandbox.json", SearchOption.AllDirectories).Single();
        var state = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(stateFile))!;
        var containers = state["Containers"]!.AsArray();
        containers.Remove(containers.Single(c => c!["Id"]!.GetValue<string>() == lostId));
        await File.WriteAllTextAsync(stateFile, state.ToJsonString());

        await NewRuntimeAsync();

        Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find(lost).Count == 0, Deadline), "the unknown process is killed");
        Assert.AreEqual(2, ProcessTable.Find(kept).Count, "the known container and its child keep running");
    }

    [TestMethod]
    public async Task ExecSync_RunsInTheContainersContext_AndTimesOut()
    {
        var rt = await NewRuntimeAsync();
        var sb = await rt.RunPodSandboxAsync(Pod("exec"), CancellationToken.None);
        var marker = Marker(3618);
        var id = await RunAsync(rt, sb, "main", ["sleep", marker], env: new Dictionary<string, string> { ["FOO"] = "from-container" });
        await WaitStateAsync(rt, id, ContainerState.Running);

        var ok = await rt.ExecSyncAsync(id, ["sh", "-c", "echo $HOSTNAME $FOO; exit 2"], TimeSpan.FromSeconds(5), CancellationToken.None);
        var slow = await rt.ExecSyncAsync(id, ["sleep", "30"], TimeSpan.FromMilliseconds(200), CancellationToken.None);

        Assert.AreEqual(2, ok.ExitCode);
        Assert.AreEqual("exec from-container\n", ok.Output);
        Assert.IsFalse(ok.TimedOut);
        Assert.IsTrue(slow.TimedOut);
        Assert.AreEqual(0, ProcessTable.Find("sleep 30").Count(pid => ProcessTable.GroupOf(pid).Pgrp == pid && File.ReadAllText($"/proc/{pid}/environ").Contains("from-container")));
    }
}
