using Kube.Node.Runtime;
using Kube.Node.Runtime.Process;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests.Runtime.Process;

/// <summary>Volumes in the process runtime: each container in its own mount namespace, the host's tree untouched.</summary>
[TestClass]
public sealed class MountNamespaceTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly List<string> _markers = [];
    private ProcessRuntime _rt = null!;
    private string _dataDir = "";
    private string _volume = "";

    [TestInitialize]
    public async Task Init()
    {
        _dataDir = TempDirs.Create("kube-node-mounts");
        _volume = Path.Combine(_dataDir, "vol");
        Directory.CreateDirectory(_volume);
        await File.WriteAllTextAsync(Path.Combine(_volume, "greeting"), "hello from the volume");
        _rt = new ProcessRuntime(new ProcessRuntimeOptions { DataDir = Path.Combine(_dataDir, "rt"), PodCidr = "127.1.9.0/24" }, TimeProvider.System, NullLogger<ProcessRuntime>.Instance);
        await _rt.InitializeAsync(CancellationToken.None);
    }

    [TestCleanup]
    public async Task Cleanup()
    {
        foreach (var s in await _rt.ListPodSandboxesAsync(CancellationToken.None))
        {
            await _rt.RemovePodSandboxAsync(s.Id, CancellationToken.None);
        }

        await _rt.DisposeAsync();
        foreach (var m in _markers)
        {
            ProcessTable.KillAll(m);
        }

        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<ContainerStatus> RunAsync(IReadOnlyList<string> command, params ContainerMount[] mounts)
    {
        var sb = await _rt.RunPodSandboxAsync(new PodSandboxConfig { PodUid = Guid.NewGuid().ToString(), PodName = "vol", PodNamespace = "default" }, CancellationToken.None);
        var id = await _rt.CreateContainerAsync(sb, new ContainerConfig { Name = "main", Command = command, Mounts = mounts }, CancellationToken.None);
        await _rt.StartContainerAsync(id, CancellationToken.None);
        ContainerStatus? status = null;
        Assert.IsTrue(await Wait.PollAsync(async () => (status = await _rt.ContainerStatusAsync(id, CancellationToken.None))?.State == ContainerState.Exited, Deadline),
            "the container never exited");
        return status!;
    }

    [TestMethod]
    public async Task Mount_UnderAMissingDirectoryOfEtc_IsVisible_AndTheHostIsUnchanged()
    {
        var dir = $"/etc/kube-test-{Guid.NewGuid():N}";
        var before = Directory.EnumerateFileSystemEntries("/etc").Order().ToList();

        var status = await RunAsync(["sh", "-c", $"cat {dir}/cfg/greeting; echo; cat /etc/hostname > /dev/null && echo etc-intact"],
            new ContainerMount { ContainerPath = dir + "/cfg", HostPath = _volume, ReadOnly = true });

        var log = await File.ReadAllTextAsync(status.LogPath!);
        Assert.AreEqual(0, status.ExitCode, log);
        Assert.AreEqual("hello from the volume\netc-intact\n", log);
        Assert.IsFalse(Path.Exists(dir), "the host's /etc got no new directory");
        CollectionAssert.AreEqual(before, Directory.EnumerateFileSystemEntries("/etc").Order().ToList());
    }

    [TestMethod]
    public async Task Mount_AtAMissingTopLevelPath_UsesANewRoot_AndTheHostRootIsUnchanged()
    {
        var dir = $"/kube-test-{Guid.NewGuid():N}";

        var status = await RunAsync(["sh", "-c", $"cat {dir}/greeting; echo; pwd"], new ContainerMount { ContainerPath = dir, HostPath = _volume });

        var log = await File.ReadAllTextAsync(status.LogPath!);
        Assert.AreEqual(0, status.ExitCode, log);
        StringAssert.StartsWith(log, "hello from the volume\n");
        Assert.IsFalse(Path.Exists(dir), "the host's / got no new directory");
    }

    [TestMethod]
    public async Task ReadOnlyMount_RefusesWrites_WritableMountWritesThrough()
    {
        var ro = await RunAsync(["sh", "-c", "echo x > /etc/kube-ro-test/new"], new ContainerMount { ContainerPath = "/etc/kube-ro-test", HostPath = _volume, ReadOnly = true });
        Assert.AreNotEqual(0, ro.ExitCode);
        Assert.IsFalse(File.Exists(Path.Combine(_volume, "new")));

        var rw = await RunAsync(["sh", "-c", "echo x > /etc/kube-rw-test/new"], new ContainerMount { ContainerPath = "/etc/kube-rw-test", HostPath = _volume });
        Assert.AreEqual(0, rw.ExitCode, await File.ReadAllTextAsync(rw.LogPath!));
        Assert.AreEqual("x\n", await File.ReadAllTextAsync(Path.Combine(_volume, "new")));
        Assert.IsFalse(Path.Exists("/etc/kube-rw-test"));
    }

    [TestMethod]
    public async Task ContainerWithMounts_IsOneProcess_WithTheContainersCommandLine_AndExecSeesTheMount()
    {
        var marker = TestUtil.UniqueSeconds(3633);
        _markers.Add(marker);
        var sb = await _rt.RunPodSandboxAsync(new PodSandboxConfig { PodUid = Guid.NewGuid().ToString(), PodName = "vol", PodNamespace = "default" }, CancellationToken.None);
        var id = await _rt.CreateContainerAsync(sb, new ContainerConfig
        {
            Name = "main",
            Command = ["sleep", marker],
            Mounts = [new ContainerMount { ContainerPath = "/etc/kube-exec-test", HostPath = _volume }],
        }, CancellationToken.None);
        await _rt.StartContainerAsync(id, CancellationToken.None);
        var status = await _rt.ContainerStatusAsync(id, CancellationToken.None);
        Assert.IsTrue(await Wait.PollAsync(() => File.ReadAllText($"/proc/{status!.Pid}/cmdline") == "sleep\0" + marker + "\0", Deadline), "the spawned pid execs the container's command");

        CollectionAssert.AreEqual(new[] { status!.Pid!.Value }, ProcessTable.Find("sleep " + marker));
        var exec = await _rt.ExecSyncAsync(id, ["cat", "/etc/kube-exec-test/greeting"], TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.AreEqual(0, exec.ExitCode, exec.Output);
        Assert.AreEqual("hello from the volume", exec.Output);
        await _rt.StopContainerAsync(id, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.AreEqual(0, ProcessTable.Find("sleep " + marker).Count);
    }
}
