using System.Threading.Channels;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;
using Microsoft.Extensions.Logging;

namespace Kube.ApiServer.Registry;

/// <summary>
/// Finishes namespace deletion, as upstream's namespace controller does: a terminating namespace has every
/// namespaced object in it deleted (pods gracefully, finalizers honoured), and is removed once nothing is left.
/// Namespaces found terminating at start are resumed.
/// </summary>
internal sealed class NamespaceFinalizer : IAsyncDisposable
{
    private readonly GenericRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _retry;
    private readonly Channel<string> _queue = Channel.CreateBounded<string>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly HashSet<string> _active = [];
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;

    public NamespaceFinalizer(GenericRegistry registry, TimeProvider time, ILogger logger, TimeSpan retry)
    {
        _registry = registry;
        _time = time;
        _logger = logger;
        _retry = retry;
        _loop = Task.Run(() => RunAsync(_cts.Token));
    }

    public void Enqueue(string ns)
    {
        lock (_active)
        {
            if (!_active.Add(ns)) return;
        }
        _queue.Writer.TryWrite(ns);
    }

    public async Task ResumeAsync(CancellationToken ct)
    {
        var nsType = _registry.Types.FindByResource("", "v1", "namespaces");
        if (nsType is null) return;
        var list = await _registry.ListAsync(new RequestScope(nsType, null, null, null, UserInfo.Admin), new ListOptions(), ct, authorize: false).ConfigureAwait(false);
        foreach (var ns in list.Items.Where(n => Json.Metadata(n)["deletionTimestamp"] is not null)) Enqueue(Json.Name(ns));
    }

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var ns in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                _ = Task.Run(() => FinalizeAsync(ns, ct), ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task FinalizeAsync(string ns, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var remaining = 0;
                foreach (var type in _registry.Types.All.Where(t => t.Namespaced && t.Verbs.Contains("delete")))
                {
                    var scope = new RequestScope(type, ns, null, null, UserInfo.Admin);
                    var list = await _registry.ListAsync(scope, new ListOptions(), ct, authorize: false).ConfigureAwait(false);
                    remaining += list.Items.Count;
                    foreach (var item in list.Items.Where(i => Json.Metadata(i)["deletionTimestamp"] is null))
                    {
                        try
                        {
                            await _registry.DeleteAsync(scope with { Name = Json.Name(item) }, new DeleteOptions { PropagationPolicy = PropagationPolicy.Background }, ct, authorize: false).ConfigureAwait(false);
                        }
                        catch (KubeApiException e) when (e is NotFoundException or ConflictException)
                        {
                        }
                    }
                }
                if (remaining == 0 && await _registry.RemoveTerminatedNamespaceAsync(ns, ct).ConfigureAwait(false))
                {
                    _logger.LogInformation("Namespace {Namespace} is empty and was removed", ns);
                    return;
                }
                await Task.Delay(_retry, _time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Finalizing namespace {Namespace} failed; it is retried when deleted again or at the next start", ns);
        }
        finally
        {
            lock (_active) _active.Remove(ns);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _cts.Dispose();
    }
}
