using k8s.Models;
using Kube.Core.Informers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Networking.Allocation;

/// <summary>
/// Keeps the Service allocators in line with the API: rebuilds them at start, frees a Service's IP and NodePorts when
/// it is deleted (informer), and periodically frees leaks (allocations whose create never completed).
/// </summary>
internal sealed class ServiceAllocationController(ServiceAllocationState state, ISharedInformerFactory informers, TimeProvider time, ILogger<ServiceAllocationController> logger)
    : IHostedService, IResourceEventHandler<V1Service>
{
    private CancellationTokenSource? _stopping;
    private Task? _loop;
    private IInformer<V1Service>? _informer;
    private IDisposable? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        _informer = informers.GetInformer<V1Service>();
        _registration = _informer.AddEventHandler(this);
        informers.Start(_stopping.Token);
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _registration?.Dispose();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    public void OnAdd(V1Service obj, bool isInInitialList)
    {
    }

    public void OnUpdate(V1Service oldObj, V1Service newObj) => state.ReleaseDropped(oldObj, newObj);

    public void OnDelete(V1Service obj, bool finalStateUnknown) => state.Release(obj);

    private async Task RunAsync(CancellationToken token)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (!state.IsInitialized)
                {
                    await state.EnsureInitializedAsync(token).ConfigureAwait(false);
                    delay = TimeSpan.FromMilliseconds(200);
                }

                await Task.Delay(state.Options.RepairInterval, time, token).ConfigureAwait(false);
                if (_informer!.HasSynced)
                {
                    state.Rebuild(_informer.Cache.List(), state.Options.AllocationGracePeriod);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Service allocation repair failed ({Message}); retrying in {Delay}", ex.Message, delay);
                try
                {
                    await Task.Delay(delay, time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }
}
