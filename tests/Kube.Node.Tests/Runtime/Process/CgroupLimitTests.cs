using Kube.Node.Runtime;
using Kube.Node.Runtime.Process;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests.Runtime.Process;

/// <summary>cpu and memory limits of process-runtime containers through the machine's cgroups; OOM kills reported as OOMKilled.</summary>
[TestClass]
public sealed class CgroupLimitTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private string _dataDir = "";
    private ProcessRuntime _rt = null!;
    private string _marker = "";

    [TestInitialize]
    public async Task Init()
    {
        _dataDir = TempDirs.Create("kube-node-cgroup");
        _marker = TestUtil.UniqueSeconds(3799);
        _rt = new ProcessRuntime(new ProcessRuntimeOptions { DataDir = _dataDir, PodCidr = "127.1.0.0/24" }, TimeProvider.System, NullLogger<ProcessRuntime>.Instance);
        await _rt.InitializeAsync(CancellationToken.None);
        if (_rt.ResourceLimitsUnavailableReason is { } why)
        {
            Assert.Inconclusive($"cgroups are not usable here ({why}); run as root on a machine with the memory and cpu controllers mounted");
        }
    }

    [TestCleanup]
    public async Task Cleanup()
    {
        foreach (var s in await _rt.ListPodSandboxesAsync(CancellationToken.None))
        {
            await _rt.RemovePodSandboxAsync(s.Id, CancellationToken.None);
        }

        await _rt.DisposeAsync();
        ProcessTable.KillAll(_marker);
        Directory.Delete(_dataDir, recursive: true);
    }

    private async Task<string> StartAsync(string name, long? memory, long? cpuMillis, params string[] command)
    {
        var sandbox = await _rt.RunPodSandboxAsync(new PodSandboxConfig { PodUid = Guid.NewGuid().ToString(), PodName = name, PodNamespace = "default" }, CancellationToken.None);
        var id = await _rt.CreateContainerAsync(sandbox, new ContainerConfig
        {
            Name = "main", Image = "busybox", Command = command, MemoryLimitBytes = memory, CpuLimitMillicores = cpuMillis,
        }, CancellationToken.None);
        await _rt.StartContainerAsync(id, CancellationToken.None);
        return id;
    }

    [TestMethod]
    public async Task MemoryLimit_OomKillsTheContainer_ReportedAsOOMKilled()
    {
        // 40 MB into a shell variable under a 16 MiB limit.
        var id = await StartAsync("oom", 16 * 1024 * 1024, null, "/bin/sh", "-c", "x=$(head -c 40000000 /dev/zero | tr '\\0' x); echo survived", "oom-" + _marker);
        ContainerStatus? status = null;
        Assert.IsTrue(await Wait.PollAsync(async () => (status = await _rt.ContainerStatusAsync(id, CancellationToken.None))?.State == ContainerState.Exited, Deadline));
        Assert.AreEqual(("OOMKilled", 137), (status!.Reason, status.ExitCode), $"status: {status}");
    }

    [TestMethod]
    public async Task CpuAndMemoryLimits_PutTheProcessInItsOwnGroups_WithTheQuota()
    {
        var id = await StartAsync("limited", 64 * 1024 * 1024, 250, "sleep", _marker);
        var status = await _rt.ContainerStatusAsync(id, CancellationToken.None);
        Assert.AreEqual(ContainerState.Running, status!.State, $"status: {status}");
        string cgroups = "";
        Assert.IsTrue(await Wait.PollAsync(() => (cgroups = File.ReadAllText($"/proc/{status.Pid}/cgroup")).Contains(id, StringComparison.Ordinal), Deadline), cgroups);
        var lines = cgroups.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (File.Exists("/sys/fs/cgroup/cgroup.controllers"))
        {
            var dir = "/sys/fs/cgroup" + lines.Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];
            Assert.AreEqual("25000 100000", File.ReadAllText(Path.Combine(dir, "cpu.max")).Trim());
            Assert.AreEqual((64 * 1024 * 1024).ToString(), File.ReadAllText(Path.Combine(dir, "memory.max")).Trim());
        }
        else
        {
            var memory = "/sys/fs/cgroup/memory" + lines.Single(l => l.Split(':')[1] == "memory").Split(':')[2];
            var cpu = "/sys/fs/cgroup/cpu" + lines.Single(l => l.Split(':')[1].Split(',').Contains("cpu")).Split(':')[2];
            Assert.AreEqual((64 * 1024 * 1024).ToString(), File.ReadAllText(Path.Combine(memory, "memory.limit_in_bytes")).Trim());
            Assert.AreEqual("25000", File.ReadAllText(Path.Combine(cpu, "cpu.cfs_quota_us")).Trim());
        }

        // The command line is the container's own: the cgroup wrapper exec'd it in place.
        var cmdline = "";
        Assert.IsTrue(await Wait.PollAsync(() => (cmdline = File.ReadAllText($"/proc/{status.Pid}/cmdline").TrimEnd('\0').Replace('\0', ' ')) == $"sleep {_marker}", Deadline), cmdline);
    }
}
