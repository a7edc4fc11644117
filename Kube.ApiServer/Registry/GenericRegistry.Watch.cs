using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Admission;
using Kube.ApiServer.Authorization;
using Kube.ApiServer.Apply;
using Kube.ApiServer.Patch;
using Kube.ApiServer.Selectors;
using Kube.ApiServer.Storage;
using Kube.ApiServer.Validation;
using Kube.ApiServer.Watch;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;
using Kube.Store;
using Microsoft.Extensions.Logging;

namespace Kube.ApiServer.Registry;

internal sealed partial class GenericRegistry
{
    // ---------------------------------------------------------------- watch

    public async IAsyncEnumerable<WatchItem> WatchAsync(RequestScope s, ListOptions o, [EnumeratorCancellation] CancellationToken ct)
    {
        var stream = await OpenWatchAsync(s, o, ct).ConfigureAwait(false);
        await foreach (var item in stream.WithCancellation(ct).ConfigureAwait(false)) yield return item;
    }

    /// <summary>
    /// Checks and subscribes (errors such as 410 Expired are thrown here, before any event), then returns the
    /// event stream, which must be enumerated to release the subscription.
    /// </summary>
    public async Task<IAsyncEnumerable<WatchItem>> OpenWatchAsync(RequestScope s, ListOptions o, CancellationToken ct)
    {
        await AuthorizeAsync(s, "watch", ct).ConfigureAwait(false);
        var filter = ObjectFilter.Create(s.Namespace, o.LabelSelector, o.FieldSelector);
        var rv = o.ResourceVersion;
        var initial = o.SendInitialEvents ?? (string.IsNullOrEmpty(rv) || rv == "0");
        long from;
        List<JsonObject>? initialItems = null;
        if (initial)
        {
            // Start the cache first, so it holds every change after the list's revision.
            await watchCaches.GetAsync(StorageTypeOf(s.Type), ct).ConfigureAwait(false);
            var list = await ListAsync(s, o with { Limit = null, Continue = null, ResourceVersion = null, ResourceVersionMatch = null }, ct, authorize: false).ConfigureAwait(false);
            from = list.Revision;
            initialItems = list.Items;
        }
        else
        {
            from = ParseRevision(rv!);
        }
        var conv = Conv(s.Type);
        Func<JsonObject, JsonObject>? view = conv is { IsRemote: false } ? stored => conv.FromStorage(stored, s.Type) : null;
        var sub = await watchCaches.SubscribeAsync(StorageTypeOf(s.Type), from, filter, view, ct).ConfigureAwait(false);
        var stream = StreamAsync(s, o, sub, from, initialItems, ct);
        return conv is { IsRemote: true } ? ConvertEachAsync(stream, conv, s.Type, ct) : stream;
    }

    /// <summary>
    /// Converts each event of a watch whose conversion calls a webhook, in the watcher's own loop (never under the
    /// cache's lock). A failed conversion ends the watch, as upstream's watch encoder does.
    /// </summary>
    private async IAsyncEnumerable<WatchItem> ConvertEachAsync(IAsyncEnumerable<WatchItem> stream, IStorageConversion conv, ResourceType t,
        [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var item in stream.WithCancellation(ct).ConfigureAwait(false))
        {
            if (item.Type is WatchEventType.Bookmark or WatchEventType.Error)
            {
                yield return item;
                continue;
            }
            JsonObject? converted = null;
            try
            {
                converted = await conv.FromStorageAsync(item.Object.Object, t, ct).ConfigureAwait(false);
            }
            catch (KubeApiException e)
            {
                logger.LogWarning("Watch on {Resource} ended: {Message}", t.Plural, e.Message);
            }
            if (converted is null) yield break;
            yield return new WatchItem(item.Type, new ObjectSnapshot(converted));
        }
    }

    private async IAsyncEnumerable<WatchItem> StreamAsync(RequestScope s, ListOptions o, WatchSubscription sub, long from, List<JsonObject>? initialItems,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var timeout = o.TimeoutSeconds is > 0 ? TimeSpan.FromSeconds(o.TimeoutSeconds.Value) : options.MaxWatchTimeout;
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token, stopping);
        var token = linked.Token;
        try
        {
            if (initialItems is not null)
            {
                foreach (var item in initialItems) yield return new WatchItem(WatchEventType.Added, new ObjectSnapshot(item));
                if (o.SendInitialEvents == true && o.AllowWatchBookmarks)
                    yield return new WatchItem(WatchEventType.Bookmark, Bookmark(s.Type, from, initialEventsEnd: true));
            }
            var reader = sub.Watcher.Reader;
            var lastRevision = from;
            while (!token.IsCancellationRequested)
            {
                var wait = await WaitAsync(reader, o.AllowWatchBookmarks ? options.WatchBookmarkInterval : null, token).ConfigureAwait(false);
                if (wait == WaitOutcome.Cancelled) break;
                if (wait == WaitOutcome.Idle)
                {
                    var current = sub.Cache.CurrentRevision;
                    if (!reader.TryPeek(out _) && current > 0)
                    {
                        lastRevision = Math.Max(lastRevision, current);
                        yield return new WatchItem(WatchEventType.Bookmark, Bookmark(s.Type, lastRevision, false));
                    }
                    continue;
                }
                var ready = wait == WaitOutcome.Ready;
                if (!ready)
                {
                    if (sub.Watcher.Error is KubeApiException api)
                        yield return new WatchItem(WatchEventType.Error, new ObjectSnapshot(StatusJson.ToObject(api.Status)));
                    break;
                }
                while (reader.TryRead(out var item))
                {
                    yield return item;
                }
            }
        }
        finally
        {
            await sub.DisposeAsync().ConfigureAwait(false);
        }
    }

    private enum WaitOutcome { Ready, Closed, Idle, Cancelled }

    private async ValueTask<WaitOutcome> WaitAsync(System.Threading.Channels.ChannelReader<WatchItem> reader, TimeSpan? idle, CancellationToken token)
    {
        if (idle is null)
        {
            try
            {
                return await reader.WaitToReadAsync(token).ConfigureAwait(false) ? WaitOutcome.Ready : WaitOutcome.Closed;
            }
            catch (OperationCanceledException)
            {
                return WaitOutcome.Cancelled;
            }
        }
        using var idleCts = new CancellationTokenSource(idle.Value, time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(token, idleCts.Token);
        try
        {
            return await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false) ? WaitOutcome.Ready : WaitOutcome.Closed;
        }
        catch (OperationCanceledException)
        {
            return token.IsCancellationRequested ? WaitOutcome.Cancelled : WaitOutcome.Idle;
        }
    }

    private static ObjectSnapshot Bookmark(ResourceType t, long revision, bool initialEventsEnd)
    {
        var meta = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd) meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        return new ObjectSnapshot(new JsonObject { ["kind"] = t.Kind, ["apiVersion"] = t.ApiVersion, ["metadata"] = meta });
    }
}
