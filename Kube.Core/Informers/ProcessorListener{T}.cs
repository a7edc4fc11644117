using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kube.Core.Informers;

/// <summary>
/// Delivers notifications to one handler, in order, on its own loop, so a slow handler delays only itself and never
/// the reflector. The buffer is unbounded by design (as client-go's): dropping a notification would desynchronise the
/// handler from the cache; a handler that never returns grows it.
/// </summary>
internal sealed partial class ProcessorListener<T> : IDisposable
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Channel<Notification<T>> _channel = Channel.CreateUnbounded<Notification<T>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IResourceEventHandler<T> _handler;
    private readonly ILogger _logger;
    private readonly Action<ProcessorListener<T>> _onDispose;
    private volatile bool _removed;

    public ProcessorListener(IResourceEventHandler<T> handler, ILogger logger, Action<ProcessorListener<T>> onDispose)
    {
        _handler = handler;
        _logger = logger;
        _onDispose = onDispose;
        Completion = Task.Run(RunAsync);
    }

    public Task Completion { get; }

    public void Enqueue(in Notification<T> n)
    {
        if (!_channel.Writer.TryWrite(n)) n.Barrier?.TrySetResult();
    }

    /// <summary>No more notifications will come; the queued ones are still delivered.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Removes the handler: nothing more is delivered to it.</summary>
    public void Dispose()
    {
        if (_removed) return;
        _removed = true;
        _onDispose(this);
        Complete();
    }

    private async Task RunAsync()
    {
        await foreach (var n in _channel.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (n.Kind == NotificationKind.Barrier)
            {
                n.Barrier!.TrySetResult();
                continue;
            }

            if (_removed) continue;
            try
            {
                switch (n.Kind)
                {
                    case NotificationKind.Add: _handler.OnAdd(n.New!, n.Flag); break;
                    case NotificationKind.Update: _handler.OnUpdate(n.Old!, n.New!); break;
                    case NotificationKind.Delete: _handler.OnDelete(n.Old!, n.Flag); break;
                }
            }
            catch (Exception ex)
            {
                LogHandlerFailed(_logger, ex, typeof(T).Name, n.Kind, n.New?.Metadata?.Name ?? n.Old?.Metadata?.Name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Event handler for {Type} threw on {Kind} of {Name}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string type, NotificationKind kind, string? name);
}
