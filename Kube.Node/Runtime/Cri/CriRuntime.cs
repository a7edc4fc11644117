using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using V1 = Kube.Node.Runtime.Cri.V1;

namespace Kube.Node.Runtime.Cri;

/// <summary>
/// The <c>cri</c> runtime: a CRI v1 client (RuntimeService and ImageService over gRPC on a unix socket), so pods run
/// as real containers in containerd (or any CRI v1 runtime). Pods share the node's network namespace (NamespaceMode
/// NODE) and report <see cref="CriRuntimeOptions.HostNetworkPodIp"/> as their IP; no CNI network is needed. The runtime
/// keeps no state of its own: what it needs later (the pod's environment, its log directory) rides on the sandbox's
/// annotations, and everything it creates carries the <c>kube-sdk.io/owner</c> label, so an agent restarted over the
/// same runtime finds its pods again, and agents sharing one runtime do not see each other's.
/// </summary>
/// <remarks>
/// Images are never built here: an image must be present in the runtime (imported) or pullable. Container logs are
/// written by the runtime in CRI's log format (<c>&lt;RFC3339Nano time&gt; stdout|stderr F|P &lt;line&gt;</c>) at
/// <see cref="ContainerStatus.LogPath"/>. CRI does not report a container's host pid, so <see cref="ContainerStatus.Pid"/> is null.
/// </remarks>
public sealed class CriRuntime : IContainerRuntime, IContainerStatsRuntime, IStreamingRuntime, IStreamingAttachRuntime, IAsyncDisposable
{
    /// <summary>The label naming the agent (<see cref="CriRuntimeOptions.Owner"/>) that created a sandbox or container.</summary>
    public const string OwnerLabel = "kube-sdk.io/owner";

    internal const string SandboxIdLabel = "kube-sdk.io/sandbox-id";
    internal const string EnvironmentAnnotation = "kube-sdk.io/pod-environment";
    internal const string LogDirectoryAnnotation = "kube-sdk.io/log-directory";
    internal const string PodUidLabel = "io.kubernetes.pod.uid";
    internal const string PodNameLabel = "io.kubernetes.pod.name";
    internal const string PodNamespaceLabel = "io.kubernetes.pod.namespace";
    internal const string ContainerNameLabel = "io.kubernetes.container.name";

    private readonly CriRuntimeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CriRuntime> _logger;
    private readonly GrpcChannel _channel;
    private readonly V1.RuntimeService.RuntimeServiceClient _runtime;
    private readonly V1.ImageService.ImageServiceClient _images;
    private string _runtimeName = "cri";
    private string _runtimeVersion = "unknown";

    public CriRuntime(CriRuntimeOptions options, TimeProvider timeProvider, ILogger<CriRuntime> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _channel = CriChannel.ForUnixSocket(options.SocketPath, TimeSpan.FromSeconds(5));
        _runtime = new V1.RuntimeService.RuntimeServiceClient(_channel);
        _images = new V1.ImageService.ImageServiceClient(_channel);
    }

    /// <summary>The CRI runtime's name as it reports it (e.g. "containerd"); "cri" until <see cref="InitializeAsync"/> ran.</summary>
    public string RuntimeName => _runtimeName;

    /// <summary>The CRI runtime's version (e.g. "1.6.20~ds1"); "unknown" until <see cref="InitializeAsync"/> ran.</summary>
    public string RuntimeVersion => _runtimeVersion;

    /// <summary>The options the runtime was created with.</summary>
    public CriRuntimeOptions Options => _options;

    /// <summary>Checks that the runtime answers CRI v1 (Version) and records its name and version.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_options.SocketPath))
        {
            throw new InvalidOperationException(
                $"The CRI runtime's socket {_options.SocketPath} does not exist: start containerd (Debian: apt-get install -y containerd runc) or set CriRuntimeOptions.SocketPath");
        }

        V1.VersionResponse version;
        try
        {
            version = await _runtime.VersionAsync(new V1.VersionRequest { Version = "v1" }, Call(cancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw new InvalidOperationException(
                $"The CRI runtime at {_options.SocketPath} did not answer CRI v1 Version ({ex.StatusCode}: {ex.Status.Detail}); containerd needs its CRI plugin enabled", ex);
        }

        _runtimeName = version.RuntimeName;
        _runtimeVersion = version.RuntimeVersion;
        Directory.CreateDirectory(_options.LogRoot);
        _logger.LogInformation("CRI runtime {Name} {Version} (CRI {ApiVersion}) at {Socket}, owner {Owner}",
            version.RuntimeName, version.RuntimeVersion, version.RuntimeApiVersion, _options.SocketPath, _options.Owner);
    }

    public async Task<string> RunPodSandboxAsync(PodSandboxConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var existing = await _runtime.ListPodSandboxAsync(new V1.ListPodSandboxRequest
        {
            Filter = new V1.PodSandboxFilter
            {
                State = new V1.PodSandboxStateValue { State = V1.PodSandboxState.SandboxReady },
                LabelSelector = { [OwnerLabel] = _options.Owner, [PodUidLabel] = config.PodUid },
            },
        }, Call(cancellationToken)).ConfigureAwait(false);
        if (existing.Items.FirstOrDefault() is { } ready)
        {
            return ready.Id;
        }

        var logDirectory = Path.Combine(_options.LogRoot, $"{config.PodNamespace}_{config.PodName}_{config.PodUid}");
        Directory.CreateDirectory(logDirectory);
        var sandboxConfig = BuildSandboxConfig(config.PodUid, config.PodName, config.PodNamespace, config.Attempt, config.Environment, logDirectory);
        var response = await _runtime.RunPodSandboxAsync(
            new V1.RunPodSandboxRequest { Config = sandboxConfig, RuntimeHandler = _options.RuntimeHandler },
            Call(cancellationToken)).ConfigureAwait(false);
        _logger.LogInformation("Created sandbox {Sandbox} for pod {Namespace}/{Pod} in {Runtime}", response.PodSandboxId, config.PodNamespace, config.PodName, _runtimeName);
        return response.PodSandboxId;
    }

    public async Task StopPodSandboxAsync(string sandboxId, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sandboxId);
        // CRI's StopPodSandbox kills at once; stop the containers first to give them their grace period.
        V1.ListContainersResponse running;
        try
        {
            running = await _runtime.ListContainersAsync(new V1.ListContainersRequest
            {
                Filter = new V1.ContainerFilter
                {
                    PodSandboxId = sandboxId,
                    State = new V1.ContainerStateValue { State = V1.ContainerState.ContainerRunning },
                },
            }, Call(cancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return;
        }

        await Task.WhenAll(running.Containers.Select(c => StopContainerAsync(c.Id, gracePeriod, cancellationToken))).ConfigureAwait(false);
        try
        {
            await _runtime.StopPodSandboxAsync(new V1.StopPodSandboxRequest { PodSandboxId = sandboxId }, Call(cancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
        }
    }

    public async Task RemovePodSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sandboxId);
        V1.PodSandboxStatus? status;
        try
        {
            status = (await _runtime.PodSandboxStatusAsync(new V1.PodSandboxStatusRequest { PodSandboxId = sandboxId }, Call(cancellationToken)).ConfigureAwait(false)).Status;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return;
        }

        await StopPodSandboxAsync(sandboxId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        try
        {
            await _runtime.RemovePodSandboxAsync(new V1.RemovePodSandboxRequest { PodSandboxId = sandboxId }, Call(cancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
        }

        if (status?.Annotations.TryGetValue(LogDirectoryAnnotation, out var logDirectory) == true && IsUnderLogRoot(logDirectory))
        {
            try
            {
                Directory.Delete(logDirectory, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
            catch (IOException ex)
            {
                _logger.LogWarning(ex, "Could not delete the log directory {Directory} of sandbox {Sandbox}", logDirectory, sandboxId);
            }
        }

        _logger.LogInformation("Removed sandbox {Sandbox} of pod {Namespace}/{Pod}", sandboxId, status?.Metadata?.Namespace, status?.Metadata?.Name);
    }

    public async Task<PodSandboxStatus?> PodSandboxStatusAsync(string sandboxId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sandboxId);
        try
        {
            var response = await _runtime.PodSandboxStatusAsync(new V1.PodSandboxStatusRequest { PodSandboxId = sandboxId }, Call(cancellationToken)).ConfigureAwait(false);
            var s = response.Status;
            return s is null ? null : ToStatus(s.Id, s.Metadata, s.State, s.CreatedAt, s.Network?.Ip);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<PodSandboxStatus>> ListPodSandboxesAsync(CancellationToken cancellationToken)
    {
        var response = await _runtime.ListPodSandboxAsync(new V1.ListPodSandboxRequest
        {
            Filter = new V1.PodSandboxFilter { LabelSelector = { [OwnerLabel] = _options.Owner } },
        }, Call(cancellationToken)).ConfigureAwait(false);
        return response.Items.Select(s => ToStatus(s.Id, s.Metadata, s.State, s.CreatedAt, null)).ToList();
    }

    public async Task<string> CreateContainerAsync(string sandboxId, ContainerConfig config, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sandboxId);
        ArgumentNullException.ThrowIfNull(config);
        V1.PodSandboxStatus sandbox;
        try
        {
            sandbox = (await _runtime.PodSandboxStatusAsync(new V1.PodSandboxStatusRequest { PodSandboxId = sandboxId }, Call(cancellationToken)).ConfigureAwait(false)).Status
                ?? throw new KeyNotFoundException($"sandbox {sandboxId} not found");
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            throw new KeyNotFoundException($"sandbox {sandboxId} not found", ex);
        }

        if (sandbox.State != V1.PodSandboxState.SandboxReady)
        {
            throw new InvalidOperationException($"sandbox {sandboxId} is not ready");
        }

        if (string.IsNullOrWhiteSpace(config.Image))
        {
            throw new InvalidOperationException($"container \"{config.Name}\" has no image: the cri runtime runs images");
        }

        var podEnvironment = ReadEnvironment(sandbox.Annotations);
        var sandboxConfig = BuildSandboxConfig(sandbox.Metadata.Uid, sandbox.Metadata.Name, sandbox.Metadata.Namespace, (int)sandbox.Metadata.Attempt,
            podEnvironment, sandbox.Annotations.GetValueOrDefault(LogDirectoryAnnotation, ""));
        await EnsureImageAsync(config.Image, sandboxConfig, cancellationToken).ConfigureAwait(false);

        var environment = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in podEnvironment)
        {
            environment[k] = v;
        }

        foreach (var (k, v) in config.Environment)
        {
            environment[k] = v;
        }

        var containerConfig = new V1.ContainerConfig
        {
            Metadata = new V1.ContainerMetadata { Name = config.Name, Attempt = (uint)Math.Max(0, config.Attempt) },
            Image = new V1.ImageSpec { Image = config.Image },
            Command = { config.Command },
            Args = { config.Args },
            WorkingDir = config.WorkingDir ?? "",
            Envs = { environment.Select(e => new V1.KeyValue { Key = e.Key, Value = e.Value }) },
            Mounts = { config.Mounts.Select(m => new V1.Mount { ContainerPath = m.ContainerPath, HostPath = m.HostPath, Readonly = m.ReadOnly }) },
            Labels =
            {
                [OwnerLabel] = _options.Owner,
                [SandboxIdLabel] = sandboxId,
                [PodUidLabel] = sandbox.Metadata.Uid,
                [PodNameLabel] = sandbox.Metadata.Name,
                [PodNamespaceLabel] = sandbox.Metadata.Namespace,
                [ContainerNameLabel] = config.Name,
            },
            LogPath = Path.Combine(config.Name, $"{Math.Max(0, config.Attempt)}.log"),
            Stdin = config.Stdin,
            StdinOnce = config.StdinOnce,
            Tty = config.Tty,
            Linux = new V1.LinuxContainerConfig
            {
                SecurityContext = new V1.LinuxContainerSecurityContext { NamespaceOptions = PodNamespaces() },
            },
        };
        try
        {
            var response = await _runtime.CreateContainerAsync(new V1.CreateContainerRequest
            {
                PodSandboxId = sandboxId,
                Config = containerConfig,
                SandboxConfig = sandboxConfig,
            }, Call(cancellationToken)).ConfigureAwait(false);
            return response.ContainerId;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            throw new KeyNotFoundException($"sandbox {sandboxId} not found", ex);
        }
    }

    public async Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        try
        {
            await _runtime.StartContainerAsync(new V1.StartContainerRequest { ContainerId = containerId }, Call(cancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            throw new KeyNotFoundException($"container {containerId} not found", ex);
        }
        catch (RpcException ex) when (ex.StatusCode is not (StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.Unavailable))
        {
            // A container that cannot start (executable not found, bad working directory) is reported Exited by the
            // runtime with a reason; the caller reads that from its status, as with the process runtime.
            var status = await ContainerStatusAsync(containerId, cancellationToken).ConfigureAwait(false);
            if (status is not { State: ContainerState.Exited })
            {
                throw new InvalidOperationException($"container {containerId} failed to start: {ex.Status.Detail}", ex);
            }

            _logger.LogWarning("Container {Container} failed to start: {Message}", containerId, ex.Status.Detail);
        }
    }

    public async Task StopContainerAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        var seconds = timeout <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(timeout.TotalSeconds);
        try
        {
            await _runtime.StopContainerAsync(new V1.StopContainerRequest { ContainerId = containerId, Timeout = seconds },
                Call(cancellationToken, TimeSpan.FromSeconds(seconds))).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
        }
    }

    public async Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        await StopContainerAsync(containerId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        try
        {
            await _runtime.RemoveContainerAsync(new V1.RemoveContainerRequest { ContainerId = containerId }, Call(cancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
        }
    }

    public async Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? sandboxId, CancellationToken cancellationToken)
    {
        var response = await _runtime.ListContainersAsync(new V1.ListContainersRequest
        {
            Filter = new V1.ContainerFilter { PodSandboxId = sandboxId ?? "", LabelSelector = { [OwnerLabel] = _options.Owner } },
        }, Call(cancellationToken)).ConfigureAwait(false);
        // The list lacks exit codes, reasons and times; a status per container has them (cheap on a unix socket).
        var statuses = await Task.WhenAll(response.Containers.Select(c => ContainerStatusAsync(c.Id, cancellationToken))).ConfigureAwait(false);
        return statuses.OfType<ContainerStatus>().ToList();
    }

    public async Task<ContainerStatus?> ContainerStatusAsync(string containerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        try
        {
            var response = await _runtime.ContainerStatusAsync(new V1.ContainerStatusRequest { ContainerId = containerId }, Call(cancellationToken)).ConfigureAwait(false);
            return response.Status is { } s ? ToStatus(s) : null;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<ExecResult> ExecSyncAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            return new ExecResult(-1, "no command", false);
        }

        var seconds = Math.Max(1, (long)Math.Ceiling(timeout.TotalSeconds));
        try
        {
            var response = await _runtime.ExecSyncAsync(new V1.ExecSyncRequest { ContainerId = containerId, Cmd = { command }, Timeout = seconds },
                Call(cancellationToken, TimeSpan.FromSeconds(seconds))).ConfigureAwait(false);
            return new ExecResult(response.ExitCode, Truncate(response.Stdout.Concat(response.Stderr)), false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            throw new KeyNotFoundException($"container {containerId} not found", ex);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded
            || ex.Status.Detail.Contains("timeout", StringComparison.OrdinalIgnoreCase))
        {
            cancellationToken.ThrowIfCancellationRequested();
            return new ExecResult(-1, ex.Status.Detail, TimedOut: true);
        }
        catch (RpcException ex) when (ex.StatusCode is not (StatusCode.Cancelled or StatusCode.Unavailable))
        {
            return new ExecResult(-1, ex.Status.Detail, false);
        }
    }

    /// <summary>CPU and memory of this owner's running containers, from CRI's ListContainerStats.</summary>
    internal async Task<IReadOnlyList<V1.ContainerStats>> ListContainerStatsAsync(string? sandboxId, CancellationToken cancellationToken)
    {
        var response = await _runtime.ListContainerStatsAsync(new V1.ListContainerStatsRequest
        {
            Filter = new V1.ContainerStatsFilter { PodSandboxId = sandboxId ?? "", LabelSelector = { [OwnerLabel] = _options.Owner } },
        }, Call(cancellationToken)).ConfigureAwait(false);
        return response.Stats;
    }

    /// <summary>
    /// Attaches through CRI's streaming Attach, as upstream's kubelet does: the runtime answers with a URL of its own streaming
    /// server (containerd: on 127.0.0.1), which this client speaks (SPDY/3.1, v4.channel.k8s.io; see <see cref="RemoteCommandProcess"/>).
    /// The runtime keeps the container's stdin (with stdinOnce it ends when the first attach closes it) and its stdout and stderr apart.
    /// </summary>
    public async Task<ExecProcess> AttachAsync(string containerId, bool stdin, bool stdout, bool stderr, bool tty, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        V1.AttachResponse response;
        try
        {
            response = await _runtime.AttachAsync(new V1.AttachRequest { ContainerId = containerId, Stdin = stdin, Tty = tty, Stdout = stdout, Stderr = stderr && !tty },
                Call(cancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            throw new KeyNotFoundException($"container {containerId} not found", ex);
        }
        catch (RpcException ex) when (ex.StatusCode is not StatusCode.Cancelled)
        {
            throw new InvalidOperationException($"the container runtime refused to attach to container {containerId}: {ex.Status.Detail}", ex);
        }

        if (!Uri.TryCreate(response.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"the container runtime answered the attach with an unusable streaming URL \"{response.Url}\"");
        }

        if (url.Scheme == "https")
        {
            throw new InvalidOperationException($"the container runtime's streaming server {url.GetLeftPart(UriPartial.Authority)} serves TLS, which this client does not speak: configure it without TLS on loopback");
        }

        return await RemoteCommandProcess.ConnectAsync(url, stdin, stdout, stderr, tty, _options.StreamConnectTimeout, _logger, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Interactive exec in a running container. CRI's streaming Exec hands back a URL of the runtime's own streaming
    /// server, which this client does not speak yet; instead the command runs through containerd's <c>ctr tasks exec</c>
    /// in CRI's namespace (k8s.io) on the same socket, so this needs containerd and its ctr. With a terminal, ctr runs
    /// with <c>--tty</c> on a pty of ours: it gives the command a console in the container, copies between the two, and
    /// follows our window size (a resize of our pty sends ctr SIGWINCH, which it passes on as a console resize). ctr
    /// applies the first size just after the command started, so a command that asks at once may still see 0 x 0 (and
    /// ctr then reports the failed resize of an exited process on the terminal).
    /// </summary>
    public Task<ExecProcess> StartExecAsync(string containerId, IReadOnlyList<string> command, TerminalSize? terminal, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            throw new InvalidOperationException("no command given");
        }

        var ctr = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/bin", "/usr/local/bin"])
            .Select(d => Path.Combine(d, "ctr")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("exec in the cri runtime needs containerd's ctr on PATH (apt-get install -y containerd)");
        List<string> argv = [ctr, "--address", _options.SocketPath, "--namespace", "k8s.io", "tasks", "exec", "--exec-id", "kube-exec-" + Guid.NewGuid().ToString("N")[..12]];
        if (terminal is not null)
        {
            argv.Add("--tty");
        }

        argv.Add(containerId);
        argv.AddRange(command);
        var what = $"exec of \"{command[0]}\" in container {containerId}";
        if (terminal is { } size)
        {
            var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
            return Task.FromResult(Process.ExecLauncher.StartOnTerminal(argv, env, Environment.CurrentDirectory, size, _time, what, relay: true));
        }

        return Task.FromResult(Process.ExecLauncher.StartPiped(argv, null, null, what));
    }

    /// <summary>CPU and memory of this owner's running containers (CRI's ListContainerStats), for the Summary API.</summary>
    public async Task<IReadOnlyList<ContainerUsage>> ListContainerUsageAsync(CancellationToken cancellationToken)
    {
        var stats = await ListContainerStatsAsync(null, cancellationToken).ConfigureAwait(false);
        return stats.Where(s => s.Cpu is not null || s.Memory is not null).Select(s => new ContainerUsage
        {
            ContainerId = s.Attributes.Id,
            Timestamp = s.Cpu?.Timestamp is > 0 ? DateTimeOffset.UnixEpoch.AddTicks(s.Cpu.Timestamp / 100) : _time.GetUtcNow(),
            CpuUsageCoreNanoSeconds = s.Cpu?.UsageCoreNanoSeconds?.Value ?? 0,
            CpuUsageNanoCores = s.Cpu?.UsageNanoCores?.Value,
            MemoryWorkingSetBytes = s.Memory?.WorkingSetBytes?.Value ?? 0,
            MemoryUsageBytes = s.Memory?.UsageBytes?.Value ?? 0,
            MemoryRssBytes = s.Memory?.RssBytes?.Value ?? 0,
        }).ToList();
    }

    /// <summary>The runtime's images (ImageService.ListImages), as their tags (or ids when untagged).</summary>
    public async Task<IReadOnlyList<string>> ListImagesAsync(CancellationToken cancellationToken)
    {
        var response = await _images.ListImagesAsync(new V1.ListImagesRequest(), Call(cancellationToken)).ConfigureAwait(false);
        return response.Images.SelectMany(i => i.RepoTags.Count > 0 ? (IEnumerable<string>)i.RepoTags : [i.Id]).ToList();
    }

    /// <summary>The runtime's image filesystems (ImageService.ImageFsInfo): mount point and bytes used (0 until the runtime first measured).</summary>
    internal async Task<IReadOnlyList<(string Mountpoint, ulong UsedBytes)>> ImageFsInfoAsync(CancellationToken cancellationToken)
    {
        var response = await _images.ImageFsInfoAsync(new V1.ImageFsInfoRequest(), Call(cancellationToken)).ConfigureAwait(false);
        return response.ImageFilesystems.Select(fs => (fs.FsId?.Mountpoint ?? "", fs.UsedBytes?.Value ?? 0)).ToList();
    }

    /// <summary>Closes the gRPC channel. Containers keep running: stopping them is the agent's decision.</summary>
    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task EnsureImageAsync(string image, V1.PodSandboxConfig sandboxConfig, CancellationToken cancellationToken)
    {
        var status = await _images.ImageStatusAsync(new V1.ImageStatusRequest { Image = new V1.ImageSpec { Image = image } }, Call(cancellationToken)).ConfigureAwait(false);
        if (status.Image is not null)
        {
            return;
        }

        try
        {
            var pulled = await _images.PullImageAsync(new V1.PullImageRequest { Image = new V1.ImageSpec { Image = image }, SandboxConfig = sandboxConfig },
                Call(cancellationToken)).ConfigureAwait(false);
            _logger.LogInformation("Pulled image {Image} ({Ref})", image, pulled.ImageRef);
        }
        catch (RpcException ex) when (ex.StatusCode is not StatusCode.Cancelled)
        {
            throw new InvalidOperationException($"image \"{image}\" is not present in {_runtimeName} and could not be pulled: {ex.Status.Detail}", ex);
        }
    }

    private V1.PodSandboxConfig BuildSandboxConfig(string uid, string name, string ns, int attempt, IReadOnlyDictionary<string, string> environment, string logDirectory)
    {
        var config = new V1.PodSandboxConfig
        {
            Metadata = new V1.PodSandboxMetadata { Uid = uid, Name = name, Namespace = ns, Attempt = (uint)Math.Max(0, attempt) },
            // Host network: the pod has the node's UTS namespace too, and runc refuses a hostname without a private one.
            Hostname = "",
            LogDirectory = logDirectory,
            Labels =
            {
                [OwnerLabel] = _options.Owner,
                [PodUidLabel] = uid,
                [PodNameLabel] = name,
                [PodNamespaceLabel] = ns,
            },
            Annotations =
            {
                [EnvironmentAnnotation] = Agent.NodeJson.Serialize(new SortedDictionary<string, string>(environment.ToDictionary(), StringComparer.Ordinal)),
                [LogDirectoryAnnotation] = logDirectory,
            },
            Linux = new V1.LinuxPodSandboxConfig
            {
                SecurityContext = new V1.LinuxSandboxSecurityContext { NamespaceOptions = PodNamespaces() },
            },
        };
        if (_options.DnsServers.Count > 0 || _options.DnsSearches.Count > 0)
        {
            config.DnsConfig = new V1.DNSConfig { Servers = { _options.DnsServers }, Searches = { _options.DnsSearches } };
        }

        return config;
    }

    /// <summary>Host network (no CNI), a PID namespace per container as upstream's default, IPC shared by the pod.</summary>
    private static V1.NamespaceOption PodNamespaces() => new()
    {
        Network = V1.NamespaceMode.Node,
        Pid = V1.NamespaceMode.Container,
        Ipc = V1.NamespaceMode.Pod,
    };

    private static Dictionary<string, string> ReadEnvironment(IDictionary<string, string> annotations)
    {
        if (annotations.TryGetValue(EnvironmentAnnotation, out var json) && !string.IsNullOrEmpty(json))
        {
            try
            {
                return Agent.NodeJson.Deserialize<Dictionary<string, string>>(json) ?? [];
            }
            catch (JsonException)
            {
            }
        }

        return [];
    }

    private bool IsUnderLogRoot(string path)
    {
        var root = Path.GetFullPath(_options.LogRoot) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(path).StartsWith(root, StringComparison.Ordinal);
    }

    private PodSandboxStatus ToStatus(string id, V1.PodSandboxMetadata? metadata, V1.PodSandboxState state, long createdAt, string? ip) => new()
    {
        Id = id,
        PodUid = metadata?.Uid ?? "",
        PodName = metadata?.Name ?? "",
        PodNamespace = metadata?.Namespace ?? "",
        Attempt = (int)(metadata?.Attempt ?? 0),
        State = state == V1.PodSandboxState.SandboxReady ? PodSandboxState.Ready : PodSandboxState.NotReady,
        Ip = string.IsNullOrEmpty(ip) ? _options.HostNetworkPodIp : ip,
        CreatedAt = FromUnixNanos(createdAt) ?? DateTimeOffset.UnixEpoch,
    };

    private static ContainerStatus ToStatus(V1.ContainerStatus s)
    {
        var state = s.State switch
        {
            V1.ContainerState.ContainerCreated => ContainerState.Created,
            V1.ContainerState.ContainerRunning => ContainerState.Running,
            V1.ContainerState.ContainerExited => ContainerState.Exited,
            _ => ContainerState.Unknown,
        };
        return new ContainerStatus
        {
            Id = s.Id,
            SandboxId = s.Labels.GetValueOrDefault(SandboxIdLabel, ""),
            Name = s.Metadata?.Name ?? s.Labels.GetValueOrDefault(ContainerNameLabel, ""),
            Image = s.Image?.Image ?? "",
            State = state,
            Attempt = (int)(s.Metadata?.Attempt ?? 0),
            Pid = null,
            ExitCode = state == ContainerState.Exited ? s.ExitCode : null,
            CreatedAt = FromUnixNanos(s.CreatedAt) ?? DateTimeOffset.UnixEpoch,
            StartedAt = FromUnixNanos(s.StartedAt),
            FinishedAt = FromUnixNanos(s.FinishedAt),
            Reason = string.IsNullOrEmpty(s.Reason) ? null : s.Reason,
            Message = string.IsNullOrEmpty(s.Message) ? null : s.Message,
            LogPath = string.IsNullOrEmpty(s.LogPath) ? null : s.LogPath,
        };
    }

    private static DateTimeOffset? FromUnixNanos(long nanos) => nanos <= 0 ? null : DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);

    private string Truncate(IEnumerable<byte> bytes)
    {
        var head = bytes.Take(_options.MaxExecOutputBytes).ToArray();
        return System.Text.Encoding.UTF8.GetString(head);
    }

    private CallOptions Call(CancellationToken cancellationToken, TimeSpan extra = default) =>
        new(deadline: (_time.GetUtcNow() + _options.CallTimeout + extra).UtcDateTime, cancellationToken: cancellationToken);
}
