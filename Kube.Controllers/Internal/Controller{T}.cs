using k8s;
using k8s.Models;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.WorkQueue;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.Internal;

/// <summary>
/// One running controller: informer notifications become requests in a de-duplicating work queue, and
/// <see cref="ControllerBuilder{T}.MaxConcurrentReconciles"/> workers take them (never two on one request).
/// </summary>
internal sealed partial class Controller<T> : IController
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ControllerBuilder<T> _builder;
    private readonly IReconciler<T> _reconciler;
    private readonly IWorkQueue<ReconcileRequest> _queue;
    private readonly ILogger _logger;
    private readonly List<IDisposable> _registrations = [];

    private readonly ControllerMetrics? _metrics;

    public Controller(ControllerBuilder<T> builder, IReconciler<T> reconciler, IWorkQueue<ReconcileRequest> queue, ILogger logger, ControllerMetrics? metrics = null)
    {
        _metrics = metrics;
        metrics?.AddQueue(builder.Name, () => queue.Count);
        _builder = builder;
        _reconciler = reconciler;
        _queue = queue;
        _logger = logger;
    }

    public string Name => _builder.Name;

    public void Subscribe(ISharedInformerFactory informers)
    {
        var primary = informers.GetInformer<T>(_builder.Namespace);
        _registrations.Add(primary.AddEventHandler(new DelegateEventHandler<T>(OnPrimaryEvent, alsoNotifyOld: false)));
        foreach (var source in _builder.Sources)
            _registrations.Add(source.Subscribe(informers, _builder.Namespace, Enqueue));
    }

    private void OnPrimaryEvent(ControllerEventType type, T obj, T? old)
    {
        var e = new ControllerEvent<T>(type, obj, old);
        foreach (var p in _builder.EventPredicates)
            if (!p(e)) return;
        Enqueue(ReconcileRequest.For(obj));
    }

    private void Enqueue(ReconcileRequest request)
    {
        if (request.Name.Length == 0 || _queue.IsShuttingDown) return;
        _queue.Add(request);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        LogStarting(Name, _builder.MaxConcurrentReconciles);
        try
        {
            var workers = Enumerable.Range(0, _builder.MaxConcurrentReconciles).Select(_ => Task.Run(() => WorkerAsync(cancellationToken), CancellationToken.None));
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        finally
        {
            foreach (var r in _registrations) r.Dispose();
            _registrations.Clear();
            _queue.ShutDown();
            _queue.Dispose();
            LogStopped(Name);
        }
    }

    private async Task WorkerAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            (bool Ok, ReconcileRequest Item) next;
            try
            {
                next = await _queue.GetAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (!next.Ok) return;
            try
            {
                await ProcessAsync(next.Item, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _queue.Done(next.Item);
            }
        }
    }

    private async Task ProcessAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var result = await _reconciler.ReconcileAsync(request, cancellationToken).ConfigureAwait(false);
            _metrics?.Record(Name, result.RequeueDelay is null ? "success" : "requeue_after", started);
            _queue.Forget(request);
            if (result.RequeueDelay is { } delay)
            {
                if (delay <= TimeSpan.Zero) _queue.Add(request);
                else _queue.AddAfter(request, delay);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the request is dropped with the queue.
        }
        catch (ConflictException)
        {
            // Optimistic concurrency lost against a newer version: routine; retry after the cache caught up.
            LogConflict(Name, request.ToString());
            _metrics?.Record(Name, "error", started);
            _queue.AddRateLimited(request);
        }
        catch (Exception ex)
        {
            LogReconcileFailed(ex, Name, request.ToString(), _queue.NumRequeues(request));
            _metrics?.Record(Name, "error", started);
            _queue.AddRateLimited(request);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting controller {Controller} with {Workers} worker(s)")]
    private partial void LogStarting(string controller, int workers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller {Controller} stopped")]
    private partial void LogStopped(string controller);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Controller {Controller}: conflict reconciling {Request}; retrying")]
    private partial void LogConflict(string controller, string request);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controller {Controller} failed to reconcile {Request} (retry {Retries})")]
    private partial void LogReconcileFailed(Exception exception, string controller, string request, int retries);
}
