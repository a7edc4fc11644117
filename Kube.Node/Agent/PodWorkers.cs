using Microsoft.Extensions.Logging;

namespace Kube.Node.Agent;

/// <summary>
/// One serialized worker per pod UID (the kubelet's pod workers). <see cref="Update"/> wakes a pod's worker; updates
/// that arrive while it syncs coalesce into one more sync. A sync may ask to run again after a delay (backoff), or
/// report the pod finished, which ends its worker.
/// </summary>
internal sealed class PodWorkers(Func<string, CancellationToken, Task<SyncOutcome>> sync, TimeProvider time, ILogger logger, CancellationToken stopping)
{
    private static readonly TimeSpan ErrorRetry = TimeSpan.FromSeconds(2);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Worker> _workers = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Uids
    {
        get
        {
            lock (_lock)
            {
                return [.. _workers.Keys];
            }
        }
    }

    /// <summary>Asks for a sync of the pod, starting its worker if needed.</summary>
    public void Update(string uid)
    {
        lock (_lock)
        {
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            if (!_workers.TryGetValue(uid, out var worker))
            {
                worker = new Worker();
                _workers[uid] = worker;
                worker.Loop = Task.Run(() => RunAsync(uid, worker), CancellationToken.None);
            }

            worker.Signal();
        }
    }

    /// <summary>Waits for every worker to finish its current sync (after the stopping token was cancelled).</summary>
    public async Task WhenStoppedAsync(CancellationToken cancellationToken)
    {
        Task[] loops;
        lock (_lock)
        {
            loops = _workers.Values.Select(w => w.Loop).Where(t => t is not null).Cast<Task>().ToArray();
        }

        await Task.WhenAll(loops).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync(string uid, Worker worker)
    {
        ITimer? timer = null;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await worker.WaitAsync(stopping).ConfigureAwait(false);
                timer?.Dispose();
                timer = null;
                SyncOutcome outcome;
                try
                {
                    outcome = await sync(uid, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    logger.LogWarning(ex, "Sync of pod {Uid} failed; retrying in {Delay}", uid, ErrorRetry);
                    outcome = new SyncOutcome(false, ErrorRetry);
                }

                if (outcome.Finished)
                {
                    lock (_lock)
                    {
                        if (!worker.Pending)
                        {
                            _workers.Remove(uid);
                            return;
                        }
                    }

                    continue;
                }

                if (outcome.RequeueAfter is { } delay)
                {
                    timer = time.CreateTimer(_ => Update(uid), null, delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            timer?.Dispose();
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _signal = new(0, 1);

        public Task? Loop { get; set; }

        public bool Pending => _signal.CurrentCount > 0;

        public void Signal()
        {
            try
            {
                if (_signal.CurrentCount == 0)
                {
                    _signal.Release();
                }
            }
            catch (SemaphoreFullException)
            {
            }
        }

        public Task WaitAsync(CancellationToken cancellationToken) => _signal.WaitAsync(cancellationToken);
    }
}
