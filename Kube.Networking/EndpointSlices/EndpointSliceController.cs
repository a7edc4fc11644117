using System.Collections.Concurrent;
using System.Globalization;
using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.WorkQueue;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Networking.EndpointSlices;

/// <summary>
/// Maintains <c>discovery.k8s.io/v1</c> EndpointSlices for every Service with a selector: the ready, serving and
/// terminating endpoints of the pods it selects (those with a pod IP), at most <see cref="NetworkingOptions.MaxEndpointsPerSlice"/>
/// per slice, owner-referenced to the Service. Level-based: a work queue of Service keys, fed by Service, Pod and
/// EndpointSlice informers. Its own writes are tracked until the informer shows them, so a stale cache never
/// causes duplicate slices.
/// </summary>
internal sealed class EndpointSliceController(
    NetworkingOptions options, IKubeClient client, ISharedInformerFactory informers, TimeProvider time, ILogger<EndpointSliceController> logger,
    NetworkingMetrics? metrics = null)
    : IHostedService
{
    private static readonly TimeSpan ExpectationTimeout = TimeSpan.FromSeconds(5);
    private readonly WorkQueue<string> _queue = new(time, name: "endpointslice");
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, List<(string Name, long? ResourceVersion)> Writes)> _expectations = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _registrations = [];
    private IInformer<V1Service>? _services;
    private IInformer<V1Pod>? _pods;
    private IInformer<V1EndpointSlice>? _slices;
    private CancellationTokenSource? _stopping;
    private Task? _run;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        _services = informers.GetInformer<V1Service>();
        _pods = informers.GetInformer<V1Pod>();
        _slices = informers.GetInformer<V1EndpointSlice>(labelSelector: $"{EndpointSliceLabels.ManagedBy}={EndpointSliceLabels.ControllerName}");
        _registrations.Add(_services.AddEventHandler(new Handler<V1Service>(s => _queue.Add(Indexers.KeyOf(s)))));
        _registrations.Add(_pods.AddEventHandler(new Handler<V1Pod>(EnqueueServicesOf)));
        _registrations.Add(_slices.AddEventHandler(new Handler<V1EndpointSlice>(s =>
        {
            if (s.Metadata.Labels?.TryGetValue(EndpointSliceLabels.ServiceName, out var svc) == true)
            {
                _queue.Add(Indexers.KeyOf(s.Metadata.NamespaceProperty, svc));
            }
        })));
        informers.Start(_stopping.Token);
        _run = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _queue.ShutDown();
        foreach (var r in _registrations)
        {
            r.Dispose();
        }

        if (_run is not null)
        {
            try
            {
                await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken token)
    {
        try
        {
            await Task.WhenAll(_services!.WaitForSyncAsync(token), _pods!.WaitForSyncAsync(token), _slices!.WaitForSyncAsync(token)).ConfigureAwait(false);
            logger.LogInformation("EndpointSlice controller synced; starting {Workers} workers", options.EndpointSliceWorkers);
            await Task.WhenAll(Enumerable.Range(0, options.EndpointSliceWorkers).Select(_ => WorkerAsync(token))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task WorkerAsync(CancellationToken token)
    {
        while (true)
        {
            var (ok, key) = await _queue.GetAsync(token).ConfigureAwait(false);
            if (!ok)
            {
                return;
            }

            try
            {
                await ReconcileAsync(key, token).ConfigureAwait(false);
                _queue.Forget(key);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Syncing the EndpointSlices of Service {Service} failed ({Message}); retrying", key, ex.Message);
                _queue.AddRateLimited(key);
            }
            finally
            {
                _queue.Done(key);
            }
        }
    }

    /// <summary>Brings one Service's slices to the desired state.</summary>
    internal async Task ReconcileAsync(string key, CancellationToken token)
    {
        var (ns, name) = Indexers.SplitKey(key);
        var existing = _slices!.Cache.ByIndex(Indexers.Namespace, ns ?? "")
            .Where(s => s.Metadata.Labels?.TryGetValue(EndpointSliceLabels.ServiceName, out var svc) == true && svc == name)
            .ToList();
        if (!ExpectationsMet(key, existing))
        {
            _queue.AddAfter(key, TimeSpan.FromMilliseconds(100));
            return;
        }

        var service = _services!.Cache.Get(key);
        EndpointSlicePlan plan;
        if (service is null || service.Spec?.Type == "ExternalName")
        {
            plan = new EndpointSlicePlan([], [], existing);
        }
        else
        {
            var pods = _pods!.Cache.ByIndex(Indexers.Namespace, ns ?? "");
            plan = EndpointSliceBuilder.Plan(service, pods, existing, options.MaxEndpointsPerSlice);
        }

        if (plan.IsEmpty)
        {
            return;
        }

        var writes = new List<(string Name, long? ResourceVersion)>();
        try
        {
            foreach (var slice in plan.Delete)
            {
                try
                {
                    await client.DeleteAsync<V1EndpointSlice>(slice.Metadata.Name, slice.Metadata.NamespaceProperty,
                        new DeleteOptions { PreconditionUid = slice.Metadata.Uid }, token).ConfigureAwait(false);
                }
                catch (NotFoundException)
                {
                }

                writes.Add((slice.Metadata.Name, null));
            }

            foreach (var slice in plan.Update)
            {
                var updated = await client.UpdateAsync(slice, cancellationToken: token).ConfigureAwait(false);
                writes.Add((updated.Metadata.Name, Rv(updated)));
            }

            foreach (var slice in plan.Create)
            {
                var created = await client.CreateAsync(slice, cancellationToken: token).ConfigureAwait(false);
                writes.Add((created.Metadata.Name, Rv(created)));
            }
        }
        finally
        {
            if (writes.Count > 0)
            {
                _expectations[key] = (time.GetUtcNow(), writes);
            }
        }

        metrics?.SliceWrites("create", plan.Create.Count);
        metrics?.SliceWrites("update", plan.Update.Count);
        metrics?.SliceWrites("delete", plan.Delete.Count);
        logger.LogDebug("Service {Service}: created {Created}, updated {Updated}, deleted {Deleted} EndpointSlices", key, plan.Create.Count, plan.Update.Count, plan.Delete.Count);
    }

    private bool ExpectationsMet(string key, List<V1EndpointSlice> cached)
    {
        if (!_expectations.TryGetValue(key, out var expected))
        {
            return true;
        }

        var met = expected.Writes.All(w =>
        {
            var slice = cached.FirstOrDefault(s => s.Metadata.Name == w.Name);
            return w.ResourceVersion is { } rv ? slice is not null && (Rv(slice) ?? long.MaxValue) >= rv : slice is null;
        });
        if (met || time.GetUtcNow() - expected.At > ExpectationTimeout)
        {
            _expectations.TryRemove(key, out _);
            return true;
        }

        return false;
    }

    private static long? Rv(V1EndpointSlice slice) =>
        long.TryParse(slice.Metadata.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var rv) ? rv : null;

    private void EnqueueServicesOf(V1Pod pod)
    {
        foreach (var svc in _services!.Cache.ByIndex(Indexers.Namespace, pod.Metadata.NamespaceProperty ?? ""))
        {
            if (svc.Spec?.Selector is { Count: > 0 } selector && EndpointSliceBuilder.Selects(selector, pod))
            {
                _queue.Add(Indexers.KeyOf(svc));
            }
        }
    }

    private sealed class Handler<T>(Action<T> onChange) : IResourceEventHandler<T>
        where T : class, k8s.IKubernetesObject<V1ObjectMeta>
    {
        public void OnAdd(T obj, bool isInInitialList) => onChange(obj);

        public void OnUpdate(T oldObj, T newObj)
        {
            onChange(oldObj);
            onChange(newObj);
        }

        public void OnDelete(T obj, bool finalStateUnknown) => onChange(obj);
    }
}
