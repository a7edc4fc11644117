using Kube.Node.Runtime.Process;

namespace Kube.Node.Runtime.Simulated;

/// <summary>
/// A KWOK-like runtime: sandboxes get IPs and containers "run" without any process, until they are stopped. State is
/// in memory only. For scale tests with many nodes in one host, and for tests of components above the runtime.
/// </summary>
public sealed class SimulatedRuntime : IContainerRuntime
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly PodIpAllocator _ips;
    private readonly Dictionary<string, PodSandboxStatus> _sandboxes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ContainerStatus> _containers = new(StringComparer.Ordinal);

    public SimulatedRuntime(string podCidr = "127.1.0.0/24", TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _ips = new PodIpAllocator(podCidr, statePath: null);
    }

    public string RuntimeName => "simulated";

    public string RuntimeVersion => "0.1";

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<string> RunPodSandboxAsync(PodSandboxConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_lock)
        {
            var existing = _sandboxes.Values.FirstOrDefault(s => s.PodUid == config.PodUid && s.State == PodSandboxState.Ready);
            if (existing is not null)
            {
                return Task.FromResult(existing.Id);
            }

            var sandbox = new PodSandboxStatus
            {
                Id = Guid.NewGuid().ToString("N"),
                PodUid = config.PodUid,
                PodName = config.PodName,
                PodNamespace = config.PodNamespace,
                State = PodSandboxState.Ready,
                Ip = _ips.Allocate(config.PodUid),
                CreatedAt = _time.GetUtcNow(),
                Attempt = config.Attempt,
            };
            _sandboxes[sandbox.Id] = sandbox;
            return Task.FromResult(sandbox.Id);
        }
    }

    public async Task StopPodSandboxAsync(string sandboxId, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        foreach (var c in await ListContainersAsync(sandboxId, cancellationToken).ConfigureAwait(false))
        {
            await StopContainerAsync(c.Id, gracePeriod, cancellationToken).ConfigureAwait(false);
        }

        lock (_lock)
        {
            if (_sandboxes.TryGetValue(sandboxId, out var s))
            {
                _sandboxes[sandboxId] = s with { State = PodSandboxState.NotReady };
            }
        }
    }

    public async Task RemovePodSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        await StopPodSandboxAsync(sandboxId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_sandboxes.Remove(sandboxId, out var s))
            {
                foreach (var id in _containers.Values.Where(c => c.SandboxId == sandboxId).Select(c => c.Id).ToList())
                {
                    _containers.Remove(id);
                }

                _ips.Release(s.PodUid);
            }
        }
    }

    public Task<PodSandboxStatus?> PodSandboxStatusAsync(string sandboxId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_sandboxes.GetValueOrDefault(sandboxId));
        }
    }

    public Task<IReadOnlyList<PodSandboxStatus>> ListPodSandboxesAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<PodSandboxStatus>>(_sandboxes.Values.ToList());
        }
    }

    public Task<string> CreateContainerAsync(string sandboxId, ContainerConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_lock)
        {
            if (!_sandboxes.ContainsKey(sandboxId))
            {
                throw new KeyNotFoundException($"sandbox {sandboxId} not found");
            }

            var c = new ContainerStatus
            {
                Id = Guid.NewGuid().ToString("N"),
                SandboxId = sandboxId,
                Name = config.Name,
                Image = config.Image,
                State = ContainerState.Created,
                Attempt = config.Attempt,
                CreatedAt = _time.GetUtcNow(),
            };
            _containers[c.Id] = c;
            return Task.FromResult(c.Id);
        }
    }

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var c = _containers.TryGetValue(containerId, out var found) ? found : throw new KeyNotFoundException($"container {containerId} not found");
            if (c.State != ContainerState.Created)
            {
                throw new InvalidOperationException($"container {containerId} is {c.State}, not Created");
            }

            _containers[containerId] = c with { State = ContainerState.Running, StartedAt = _time.GetUtcNow() };
        }

        return Task.CompletedTask;
    }

    public Task StopContainerAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_containers.TryGetValue(containerId, out var c) && c.State is ContainerState.Running or ContainerState.Created)
            {
                var code = timeout > TimeSpan.Zero ? 143 : 137;
                _containers[containerId] = c with { State = ContainerState.Exited, ExitCode = code, Reason = "Error", FinishedAt = _time.GetUtcNow() };
            }
        }

        return Task.CompletedTask;
    }

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _containers.Remove(containerId);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? sandboxId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<ContainerStatus>>(_containers.Values.Where(c => sandboxId is null || c.SandboxId == sandboxId).ToList());
        }
    }

    public Task<ContainerStatus?> ContainerStatusAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_containers.GetValueOrDefault(containerId));
        }
    }

    /// <summary>Every command "succeeds" at once with no output.</summary>
    public Task<ExecResult> ExecSyncAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.FromResult(new ExecResult(0, "", false));
}
