using System.Threading.Channels;
using Kube.ApiServer.Selectors;
using Kube.Core.Client;

namespace Kube.ApiServer.Watch;

/// <summary>
/// One watcher of a <see cref="WatchCache"/>: a filter and a bounded buffer. When the buffer is full the
/// watcher is ended (upstream does the same to slow watchers); the client watches again from its last version.
/// </summary>
internal sealed class Watcher
{
    private readonly Channel<WatchItem> _channel;
    private readonly ObjectFilter _filter;
    private readonly Func<System.Text.Json.Nodes.JsonObject, System.Text.Json.Nodes.JsonObject>? _view;

    /// <param name="view">Converts stored objects to the watched kind's form (events.k8s.io Events over core Events); null when they are the same.</param>
    public Watcher(ObjectFilter filter, long fromRevision, int capacity, Func<System.Text.Json.Nodes.JsonObject, System.Text.Json.Nodes.JsonObject>? view = null)
    {
        _filter = filter;
        _view = view;
        FromRevision = fromRevision;
        _channel = Channel.CreateBounded<WatchItem>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public long FromRevision { get; }

    public ChannelReader<WatchItem> Reader => _channel.Reader;

    /// <summary>Set when the watcher was ended by the cache rather than by its reader.</summary>
    public Exception? Error { get; private set; }

    public bool IsClosed { get; private set; }

    /// <summary>Filters and queues one event; called under the cache's lock. False when the watcher is (now) closed.</summary>
    public bool Offer(CacheEvent e)
    {
        if (IsClosed) return false;
        if (e.Revision <= FromRevision) return true;
        WatchEventType type;
        var obj = _view is null ? e.Object : new ObjectSnapshot(_view(e.Object.Object));
        if (_filter.MatchesEverything)
        {
            type = e.Type;
        }
        else
        {
            var now = _filter.Matches(obj.Object);
            switch (e.Type)
            {
                case WatchEventType.Added:
                    if (!now) return true;
                    type = WatchEventType.Added;
                    break;
                case WatchEventType.Deleted:
                    if (!now) return true;
                    type = WatchEventType.Deleted;
                    break;
                default:
                    var before = e.HasPrevious && _filter.Matches(_view is null ? e.Previous!.Object : _view(e.Previous!.Object));
                    if (now && before) type = WatchEventType.Modified;
                    else if (now) type = WatchEventType.Added;
                    else if (before) type = WatchEventType.Deleted;
                    else return true;
                    break;
            }
        }
        if (_channel.Writer.TryWrite(new WatchItem(type, obj))) return true;
        Close(new InvalidOperationException("the watcher fell too far behind"));
        return false;
    }

    public void Close(Exception? error = null)
    {
        if (IsClosed) return;
        IsClosed = true;
        Error = error;
        _channel.Writer.TryComplete();
    }
}
