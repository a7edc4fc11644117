using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Kube.Store.Raft;

namespace Kube.Store.Mvcc;

/// <summary>MvccState: the watcher hub and watch streams (catch-up from history, compaction).</summary>
internal sealed partial class MvccState
{
    // ---------------------------------------------------------------- watch

    /// <summary>
    /// Streams changes in [key, end) from the request's start revision. Starting below the compacted revision, or
    /// falling so far behind that the history it still needs gets compacted, ends the stream with
    /// <see cref="StoreException"/> (<see cref="StoreErrorCode.Compacted"/>). Cancellation ends the stream quietly.
    /// </summary>
    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var watcher = Register(request);
        try
        {
            var reader = watcher.Buffer.Reader;
            while (true)
            {
                while (reader.TryRead(out var buffered))
                {
                    yield return buffered;
                }
                if (!watcher.Synced)
                {
                    // The applier stopped writing when we went unsynced: drain what it wrote, then read history.
                    while (reader.TryRead(out var buffered))
                    {
                        yield return buffered;
                    }
                    foreach (var response in CatchUp(watcher, 256))
                    {
                        yield return response;
                    }
                    continue;
                }
                var outcome = await WaitAsync(reader, request, cancellationToken).ConfigureAwait(false);
                if (outcome == WaitOutcome.Cancelled)
                {
                    yield break;
                }
                if (outcome == WaitOutcome.Idle && Progress(watcher) is { } progress)
                {
                    yield return progress;
                }
            }
        }
        finally
        {
            Unregister(watcher);
        }
    }

    private enum WaitOutcome { Ready, Idle, Cancelled }

    private async ValueTask<WaitOutcome> WaitAsync(ChannelReader<WatchResponse> reader, WatchRequest request, CancellationToken cancellationToken)
    {
        if (!request.ProgressNotify)
        {
            try
            {
                await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
                return WaitOutcome.Ready;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return WaitOutcome.Cancelled;
            }
        }
        using var idle = new CancellationTokenSource(request.ProgressInterval, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        try
        {
            await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false);
            return WaitOutcome.Ready;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return WaitOutcome.Cancelled;
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested)
        {
            return WaitOutcome.Idle;
        }
    }

    private Watcher Register(WatchRequest request)
    {
        var watcher = new Watcher(request, _watchBufferSize);
        _lock.EnterWriteLock();
        try
        {
            if (_stopped)
            {
                throw new StoreException(StoreErrorCode.Stopped);
            }
            if (request.StartRevision > 0 && request.StartRevision < _compactRevision)
            {
                throw new StoreException(StoreErrorCode.Compacted, _compactRevision);
            }
            watcher.NextRevision = request.StartRevision > 0 ? request.StartRevision : _revision + 1;
            watcher.Synced = watcher.NextRevision > _revision;
            _watchers.Add(watcher);
            Volatile.Write(ref _watcherCount, _watchers.Count);
            return watcher;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private void Unregister(Watcher watcher)
    {
        _lock.EnterWriteLock();
        try
        {
            _watchers.Remove(watcher);
            Volatile.Write(ref _watcherCount, _watchers.Count);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Called under the write lock for every committed revision.</summary>
    private void Publish(RevisionRecord record)
    {
        WatchEvent[]? withoutPrevKv = null; // shared by the watchers without prevKV
        foreach (var w in _watchers)
        {
            if (!w.Synced || record.Revision < w.NextRevision)
            {
                continue;
            }
            var events = w.Filter(record, ref withoutPrevKv);
            if (events is null)
            {
                w.NextRevision = record.Revision + 1;
                continue;
            }
            if (w.Buffer.Writer.TryWrite(new WatchResponse(Header(record.Revision), events)))
            {
                w.NextRevision = record.Revision + 1;
            }
            else
            {
                w.Synced = false; // slow reader: it catches up from history, starting at this revision
            }
        }
    }

    /// <summary>Reads up to <paramref name="maxRevisions"/> revisions of history for an unsynced watcher; marks it synced when caught up.</summary>
    private List<WatchResponse> CatchUp(Watcher watcher, int maxRevisions)
    {
        var responses = new List<WatchResponse>();
        _lock.EnterReadLock();
        try
        {
            if (_stopped)
            {
                throw new StoreException(StoreErrorCode.Stopped);
            }
            if (watcher.NextRevision < _compactRevision)
            {
                throw new StoreException(StoreErrorCode.Compacted, _compactRevision);
            }
            var i = FirstHistoryIndexAtOrAfter(watcher.NextRevision);
            var scanned = 0;
            for (; i < _history.Count && scanned < maxRevisions; i++, scanned++)
            {
                var record = _history[i];
                WatchEvent[]? withoutPrevKv = null;
                if (watcher.Filter(record, ref withoutPrevKv) is { } events)
                {
                    responses.Add(new WatchResponse(Header(record.Revision), events));
                }
                watcher.NextRevision = record.Revision + 1;
            }
            if (i >= _history.Count)
            {
                // Caught up. The applier holds the write lock while publishing, so it cannot run now.
                watcher.NextRevision = _revision + 1;
                watcher.Synced = true;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
        return responses;
    }

    private WatchResponse? Progress(Watcher watcher)
    {
        _lock.EnterReadLock();
        try
        {
            // Every revision up to the current one is delivered when the watcher is synced and its buffer empty.
            return watcher.Synced && watcher.Buffer.Reader.Count == 0 && watcher.NextRevision > _revision
                ? new WatchResponse(Header(_revision), [])
                : null;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private int FirstHistoryIndexAtOrAfter(long revision)
    {
        int lo = 0, hi = _history.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_history[mid].Revision < revision)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>Ends every watch with <see cref="StoreErrorCode.Stopped"/>.</summary>
    public void Stop()
    {
        _lock.EnterWriteLock();
        try
        {
            _stopped = true;
            foreach (var w in _watchers)
            {
                w.Buffer.Writer.TryComplete(new StoreException(StoreErrorCode.Stopped));
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void Dispose() => _lock.Dispose();
}
