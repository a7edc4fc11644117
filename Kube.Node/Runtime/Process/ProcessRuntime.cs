using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Runtime.Process;

/// <summary>
/// The <c>process</c> runtime: a container is a host process started with posix_spawnp (no shell), leading its
/// own session and process group, with its stdout and stderr in a log file (through FIFOs that <see cref="ContainerOutputPump"/>
/// copies, so attach gets them apart; a terminal's output through its pty) and its pod's directory as working directory. Stops signal the whole process group. State is persisted per pod, so a new runtime over the same
/// data directory (after an agent restart, even a kill -9) finds the processes it started and adopts them; a pid
/// counts as ours only when its /proc start time matches the recorded one.
/// </summary>
public sealed partial class ProcessRuntime : IContainerRuntime, IStreamingRuntime, IContainerStatsRuntime, IAsyncDisposable
{
    private readonly ProcessRuntimeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ProcessRuntime> _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SandboxRecord> _sandboxes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (SandboxRecord Sandbox, ContainerRecord Container)> _containers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _runtimeId;
    private PodIpAllocator? _ips;
    private CgroupManager? _cgroups;
    private Task? _reaper;
    private ContainerOutputPump? _pump;
    private int _disposed;

    public ProcessRuntime(ProcessRuntimeOptions options, TimeProvider timeProvider, ILogger<ProcessRuntime> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.DataDir);
        _options = options;
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _runtimeId = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(options.DataDir))))[..16].ToLowerInvariant();
    }

    /// <summary>
    /// The variable every container process gets, <c>&lt;runtime id&gt;:&lt;container id&gt;</c> (the runtime id is derived from
    /// the data directory). After a crash it identifies processes the state file does not know, e.g. one spawned just
    /// before the agent died, so that they are killed rather than left running next to a second copy.
    /// </summary>
    public const string MarkerVariable = "KUBE_PROCESS_RUNTIME_CONTAINER";

    public string RuntimeName => "process";

    public string RuntimeVersion => "0.1";

    /// <summary>Why containers' cpu/memory limits are not enforced here (no usable cgroups, or disabled), or null when they are (after <see cref="InitializeAsync"/>).</summary>
    public string? ResourceLimitsUnavailableReason => _options.EnforceResourceLimits ? _cgroups?.UnavailableReason : "resource limits are disabled (ProcessRuntimeOptions.EnforceResourceLimits)";

    /// <summary>The pod CIDR the runtime allocates from.</summary>
    public string PodCidr => _options.PodCidr;

    private string PodsDir => Path.Combine(_options.DataDir, "pods");

    private PodIpAllocator Ips => _ips ?? throw new InvalidOperationException("InitializeAsync has not been called");

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_ips is not null)
            {
                return Task.CompletedTask;
            }

            Directory.CreateDirectory(PodsDir);
            if (_options.EnforceResourceLimits)
            {
                _cgroups = CgroupManager.Detect(_options.CgroupRoot, _runtimeId);
                if (_cgroups.UnavailableReason is { } why)
                {
                    _logger.LogWarning("Containers' cpu and memory limits will not be enforced: {Reason}", why);
                }
            }

            var claims = PodIpClaims.TryOpen(_options.PodIpClaimDirectory ?? PodIpClaims.DefaultDirectory, out var noClaims);
            if (noClaims is not null)
            {
                _logger.LogWarning("Pod IPs may collide with other runtimes on this machine: {Reason}", noClaims);
            }

            _ips = new PodIpAllocator(_options.PodCidr, Path.Combine(_options.DataDir, "pod-ips.json"), claims);
            _pump = new ContainerOutputPump(Path.Combine(_options.DataDir, "stdio"), _logger);
            foreach (var dir in Directory.EnumerateDirectories(PodsDir))
            {
                var file = Path.Combine(dir, "sandbox.json");
                if (!File.Exists(file))
                {
                    continue;
                }

                SandboxRecord? sandbox;
                try
                {
                    sandbox = JsonSerializer.Deserialize(File.ReadAllText(file), ProcessRuntimeJsonContext.Default.SandboxRecord);
                }
                catch (JsonException ex)
                {
                    _logger.LogWarning(ex, "Ignoring unreadable sandbox state {File}", file);
                    continue;
                }

                if (sandbox is null)
                {
                    continue;
                }

                _sandboxes[sandbox.Id] = sandbox;
                foreach (var c in sandbox.Containers)
                {
                    _containers[c.Id] = (sandbox, c);
                    if (c.State == ContainerState.Running && c.Pid is int pid)
                    {
                        if (ProcStat.IsAlive(pid, c.PidStartTicks))
                        {
                            c.Adopted = true;
                            if (!c.Tty)
                            {
                                _pump.Adopt(c.Id, c.LogPath);
                            }

                            _logger.LogInformation("Adopted running container {Container} of pod {Namespace}/{Pod} (pid {Pid})", c.Name, sandbox.PodNamespace, sandbox.PodName, pid);
                        }
                        else if (!CheckExited(c))
                        {
                            MarkExited(c, null, "ContainerStatusUnknown", "The container's process was gone when the runtime restarted; its exit code is unknown");
                        }
                    }
                }

                Save(sandbox);
            }

            KillUnknownProcesses();
            _reaper = Task.Run(() => ReapLoopAsync(_stopping.Token), CancellationToken.None);
            _logger.LogInformation("Process runtime started with {Sandboxes} sandboxes from {DataDir}, pod CIDR {PodCidr}", _sandboxes.Count, _options.DataDir, _options.PodCidr);
        }

        return Task.CompletedTask;
    }

    public Task<string> RunPodSandboxAsync(PodSandboxConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_lock)
        {
            var existing = _sandboxes.Values.FirstOrDefault(s => s.PodUid == config.PodUid);
            if (existing is { State: PodSandboxState.Ready })
            {
                return Task.FromResult(existing.Id);
            }

            if (existing is not null)
            {
                foreach (var c in existing.Containers)
                {
                    _containers.Remove(c.Id);
                    ReleaseStdio(c.Id);
                }

                _sandboxes.Remove(existing.Id);
            }

            var ip = Ips.Allocate(config.PodUid);
            var workDir = Path.Combine(PodsDir, config.PodUid);
            Directory.CreateDirectory(workDir);
            var sandbox = new SandboxRecord
            {
                Id = NewId(),
                PodUid = config.PodUid,
                PodName = config.PodName,
                PodNamespace = config.PodNamespace,
                Attempt = config.Attempt,
                Ip = ip,
                WorkingDirectory = workDir,
                CreatedAt = _time.GetUtcNow(),
                State = PodSandboxState.Ready,
                Environment = new Dictionary<string, string>(config.Environment, StringComparer.Ordinal),
            };
            _sandboxes[sandbox.Id] = sandbox;
            Save(sandbox);
            _logger.LogInformation("Created sandbox {Sandbox} for pod {Namespace}/{Pod} with IP {Ip}", sandbox.Id, sandbox.PodNamespace, sandbox.PodName, ip);
            return Task.FromResult(sandbox.Id);
        }
    }

    public async Task StopPodSandboxAsync(string sandboxId, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        List<string> ids;
        lock (_lock)
        {
            if (!_sandboxes.TryGetValue(sandboxId, out var sandbox))
            {
                return;
            }

            ids = sandbox.Containers.Select(c => c.Id).ToList();
        }

        await Task.WhenAll(ids.Select(id => StopContainerAsync(id, gracePeriod, cancellationToken))).ConfigureAwait(false);
        lock (_lock)
        {
            if (_sandboxes.TryGetValue(sandboxId, out var sandbox))
            {
                sandbox.State = PodSandboxState.NotReady;
                Save(sandbox);
            }
        }
    }

    public async Task RemovePodSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        await StopPodSandboxAsync(sandboxId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        SandboxRecord? sandbox;
        lock (_lock)
        {
            if (!_sandboxes.Remove(sandboxId, out sandbox))
            {
                return;
            }

            foreach (var c in sandbox.Containers)
            {
                _containers.Remove(c.Id);
                ReleaseStdio(c.Id);
                CgroupManager.Remove(c.CgroupPaths);
            }

            Ips.Release(sandbox.PodUid);
        }

        try
        {
            Directory.Delete(Path.Combine(PodsDir, sandbox.PodUid), recursive: true);
        }
        catch (IOException ex)
        {
            _logger.LogWarning(ex, "Could not delete the directory of pod {Namespace}/{Pod}", sandbox.PodNamespace, sandbox.PodName);
        }

        _logger.LogInformation("Removed sandbox {Sandbox} of pod {Namespace}/{Pod}", sandboxId, sandbox.PodNamespace, sandbox.PodName);
    }

    public Task<PodSandboxStatus?> PodSandboxStatusAsync(string sandboxId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_sandboxes.TryGetValue(sandboxId, out var s) ? ToStatus(s) : null);
        }
    }

    public Task<IReadOnlyList<PodSandboxStatus>> ListPodSandboxesAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<PodSandboxStatus>>(_sandboxes.Values.Select(ToStatus).ToList());
        }
    }

    public Task<string> CreateContainerAsync(string sandboxId, ContainerConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_lock)
        {
            if (!_sandboxes.TryGetValue(sandboxId, out var sandbox))
            {
                throw new KeyNotFoundException($"sandbox {sandboxId} not found");
            }

            if (sandbox.State != PodSandboxState.Ready)
            {
                throw new InvalidOperationException($"sandbox {sandboxId} is not ready");
            }

            var logDir = Path.Combine(sandbox.WorkingDirectory, "logs", config.Name);
            Directory.CreateDirectory(logDir);
            var c = new ContainerRecord
            {
                Id = NewId(),
                SandboxId = sandboxId,
                Name = config.Name,
                Image = config.Image,
                Attempt = config.Attempt,
                Command = [.. config.Command],
                Args = [.. config.Args],
                Environment = new Dictionary<string, string>(config.Environment, StringComparer.Ordinal),
                WorkingDir = config.WorkingDir,
                State = ContainerState.Created,
                CreatedAt = _time.GetUtcNow(),
                LogPath = Path.Combine(logDir, $"{config.Attempt}.log"),
                Mounts = [.. config.Mounts],
                MemoryLimitBytes = config.MemoryLimitBytes,
                CpuLimitMillicores = config.CpuLimitMillicores,
                Stdin = config.Stdin,
                StdinOnce = config.StdinOnce,
                Tty = config.Tty,
            };
            sandbox.Containers.Add(c);
            _containers[c.Id] = (sandbox, c);
            Save(sandbox);
            return Task.FromResult(c.Id);
        }
    }

    public async Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        var wrapped = StartContainerCore(containerId);
        if (wrapped is { } w)
        {
            await WaitForExecAsync(w.Pid, w.Argv, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits (bounded) until a wrapped container's process has exec'd the container's own command: its mounts and cgroups
    /// are then in place, so an exec or a signal reaches the container rather than the set-up script.
    /// </summary>
    private async Task WaitForExecAsync(int pid, IReadOnlyList<string> argv, CancellationToken cancellationToken)
    {
        var expected = string.Join('\0', argv);
        var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(10);
        while (_time.GetUtcNow() < deadline)
        {
            string cmdline;
            try
            {
                cmdline = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline", cancellationToken).ConfigureAwait(false)).TrimEnd('\0');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return;
            }

            // An empty cmdline is not only a process that has exited: during an execve (unshare -> sh -> chroot -> the
            // command) the new image's arguments are briefly unset. Only the process state tells the two apart.
            if (cmdline == expected || (cmdline.Length > 0 && !IsWrapper(cmdline.Split('\0'))) || ProcStat.Read(pid) is not { State: not ('Z' or 'X') })
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), _time, cancellationToken).ConfigureAwait(false);
        }

        _logger.LogWarning("Container process {Pid} did not exec its command within 10 s of starting", pid);
    }

    /// <summary>True while a process still runs one of the set-up stages (unshare, the mount or cgroup script, chroot) rather than the container's command (which may itself exec something else).</summary>
    private static bool IsWrapper(string[] argv) =>
        argv[0] is "unshare" or "chroot"
        || (argv[0] == "/bin/sh" && argv.Length > 3 && argv[1] == "-c" && (argv[3] is "kube-mounts" or "kube-cgroup" || argv[2].StartsWith("cd \"$0\"", StringComparison.Ordinal)));

    /// <summary>Under the lock: spawns the container; returns its pid and own argv when a wrapper (mounts, cgroups) runs first.</summary>
    private (int Pid, IReadOnlyList<string> Argv)? StartContainerCore(string containerId)
    {
        lock (_lock)
        {
            var (sandbox, c) = Find(containerId);
            if (c.State != ContainerState.Created)
            {
                throw new InvalidOperationException($"container {containerId} is {c.State}, not Created");
            }

            IReadOnlyList<string> argv = c.Command.Count > 0 ? [.. c.Command, .. c.Args] : c.Args;
            if (argv.Count == 0)
            {
                c.StartedAt = _time.GetUtcNow();
                MarkExited(c, 128, "StartError",
                    $"container \"{c.Name}\" has neither command nor args: the process runtime runs host commands and does not pull images (image \"{c.Image}\")");
                Save(sandbox);
                return null;
            }

            var env = BuildEnvironment(sandbox, c);
            var workDir = c.WorkingDir is { Length: > 0 } wd ? wd : sandbox.WorkingDirectory;
            var own = argv;
            (int Pid, IReadOnlyList<string> Argv)? wrapped = null;
            try
            {
                Directory.CreateDirectory(workDir);
                if (c.Mounts.Count > 0)
                {
                    var missing = c.Mounts.FirstOrDefault(m => !Path.Exists(m.HostPath));
                    if (missing is not null)
                    {
                        throw new IOException($"the source {missing.HostPath} of the mount at {missing.ContainerPath} does not exist");
                    }

                    argv = MountNamespaceScript.Wrap(argv, c.Mounts, Path.Combine(sandbox.WorkingDirectory, ".mounts", c.Id), workDir);
                }

                if (_cgroups is not null && (c.MemoryLimitBytes is not null || c.CpuLimitMillicores is not null))
                {
                    c.CgroupPaths = [.. _cgroups.Create(c.Id, c.MemoryLimitBytes, c.CpuLimitMillicores)];
                    if (c.CgroupPaths.Count > 0)
                    {
                        argv = CgroupManager.Wrap(argv, c.CgroupPaths);
                    }
                }

                var pid = SpawnContainer(c, argv, env, workDir);
                c.Pid = pid;
                c.PidStartTicks = ProcStat.Read(pid)?.StartTicks ?? 0;
                c.StartedAt = _time.GetUtcNow();
                c.State = ContainerState.Running;
                if (!ReferenceEquals(argv, own))
                {
                    wrapped = (pid, own);
                }

                _logger.LogInformation("Started container {Container} of pod {Namespace}/{Pod}: pid {Pid}, {Command}", c.Name, sandbox.PodNamespace, sandbox.PodName, pid, string.Join(' ', argv));
            }
            catch (Exception ex) when (ex is ProcessSpawnException or IOException or UnauthorizedAccessException)
            {
                c.StartedAt = _time.GetUtcNow();
                MarkExited(c, 128, "StartError", ex.Message);
                _logger.LogWarning("Container {Container} of pod {Namespace}/{Pod} failed to start: {Message}", c.Name, sandbox.PodNamespace, sandbox.PodName, ex.Message);
            }

            Save(sandbox);
            return wrapped;
        }
    }

    public async Task StopContainerAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        int pid;
        lock (_lock)
        {
            if (!_containers.TryGetValue(containerId, out var entry))
            {
                return;
            }

            var c = entry.Container;
            if (c.State == ContainerState.Created)
            {
                MarkExited(c, null, "Stopped", "The container was stopped before it started");
                Save(entry.Sandbox);
                return;
            }

            if (c.State != ContainerState.Running || c.Pid is not int p)
            {
                return;
            }

            pid = p;
        }

        if (timeout > TimeSpan.Zero)
        {
            SignalGroup(pid, LibC.SIGTERM);
            if (await WaitExitedAsync(containerId, timeout, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }

        SignalGroup(pid, LibC.SIGKILL);
        if (!await WaitExitedAsync(containerId, _options.KillTimeout, cancellationToken).ConfigureAwait(false))
        {
            _logger.LogError("Container {Container} (pid {Pid}) did not exit within {Timeout} of SIGKILL", containerId, pid, _options.KillTimeout);
        }
    }

    public async Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        await StopContainerAsync(containerId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_containers.Remove(containerId, out var entry))
            {
                ReleaseStdio(containerId);
                CgroupManager.Remove(entry.Container.CgroupPaths);
                entry.Sandbox.Containers.Remove(entry.Container);
                Save(entry.Sandbox);
            }
        }
    }

    public Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? sandboxId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var list = _containers.Values
                .Where(e => sandboxId is null || e.Sandbox.Id == sandboxId)
                .Select(e => ToStatus(e.Container))
                .ToList();
            return Task.FromResult<IReadOnlyList<ContainerStatus>>(list);
        }
    }

    public Task<ContainerStatus?> ContainerStatusAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_containers.TryGetValue(containerId, out var e) ? ToStatus(e.Container) : null);
        }
    }

    /// <summary>CPU and memory of each running container: the processes of its session, from /proc.</summary>
    public Task<IReadOnlyList<ContainerUsage>> ListContainerUsageAsync(CancellationToken cancellationToken)
    {
        List<(string Id, int Pid)> running;
        lock (_lock)
        {
            running = _containers.Values
                .Where(e => e.Container is { State: ContainerState.Running, Pid: not null })
                .Select(e => (e.Container.Id, e.Container.Pid!.Value))
                .ToList();
        }

        var now = _time.GetUtcNow();
        var totals = ProcessTreeUsage.Read(running.Select(r => r.Pid).ToList());
        IReadOnlyList<ContainerUsage> result = running
            .Select(r => (r.Id, Totals: totals[r.Pid]))
            .Where(r => r.Totals.Processes > 0)
            .Select(r => new ContainerUsage
            {
                ContainerId = r.Id,
                Timestamp = now,
                CpuUsageCoreNanoSeconds = r.Totals.CpuNanoseconds,
                MemoryUsageBytes = r.Totals.RssBytes,
                MemoryWorkingSetBytes = r.Totals.RssBytes,
                MemoryRssBytes = r.Totals.RssBytes,
                PageFaults = r.Totals.MinorFaults,
                MajorPageFaults = r.Totals.MajorFaults,
                ProcessCount = r.Totals.Processes,
            })
            .ToList();
        return Task.FromResult(result);
    }

    /// <summary>Stops the reaper. Processes keep running: stopping them is the agent's decision.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_reaper is not null)
        {
            try
            {
                await _reaper.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stopping.Dispose();
        _pump?.Dispose();
        _cgroups?.TryRemoveParents();
        _ips?.Dispose();
    }

    private Dictionary<string, string> BuildEnvironment(SandboxRecord sandbox, ContainerRecord c)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/",
            ["HOSTNAME"] = sandbox.PodName,
        };
        if (sandbox.Ip is not null)
        {
            env["POD_IP"] = sandbox.Ip;
        }

        foreach (var (k, v) in sandbox.Environment)
        {
            env[k] = v;
        }

        foreach (var (k, v) in c.Environment)
        {
            env[k] = v;
        }

        env[MarkerVariable] = $"{_runtimeId}:{c.Id}";
        return env;
    }

    private (SandboxRecord Sandbox, ContainerRecord Container) Find(string containerId) =>
        _containers.TryGetValue(containerId, out var e) ? e : throw new KeyNotFoundException($"container {containerId} not found");

    private void Save(SandboxRecord sandbox)
    {
        if (!_sandboxes.ContainsKey(sandbox.Id))
        {
            return;
        }

        AtomicFile.WriteAllText(Path.Combine(PodsDir, sandbox.PodUid, "sandbox.json"), JsonSerializer.Serialize(sandbox, ProcessRuntimeJsonContext.Default.SandboxRecord));
    }

    private static string NewId() => Guid.NewGuid().ToString("N");

    private static PodSandboxStatus ToStatus(SandboxRecord s) => new()
    {
        Id = s.Id,
        PodUid = s.PodUid,
        PodName = s.PodName,
        PodNamespace = s.PodNamespace,
        State = s.State,
        Ip = s.Ip,
        WorkingDirectory = s.WorkingDirectory,
        CreatedAt = s.CreatedAt,
        Attempt = s.Attempt,
    };

    private static ContainerStatus ToStatus(ContainerRecord c) => new()
    {
        Id = c.Id,
        SandboxId = c.SandboxId,
        Name = c.Name,
        Image = c.Image,
        State = c.State,
        Attempt = c.Attempt,
        Pid = c.State == ContainerState.Running ? c.Pid : null,
        ExitCode = c.ExitCode,
        CreatedAt = c.CreatedAt,
        StartedAt = c.StartedAt,
        FinishedAt = c.FinishedAt,
        Reason = c.Reason,
        Message = c.Message,
        LogPath = c.LogPath,
    };
}
