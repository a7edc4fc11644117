using Kube.Store;
using Microsoft.Extensions.Logging;

namespace Kube.ApiServer.Storage;

/// <summary>
/// Compacts the store's history as upstream's API server does: every interval, compact to the revision seen at the
/// previous tick, so at least one interval of history stays available to watchers and paged lists.
/// </summary>
internal sealed class Compactor : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;

    public Compactor(IKeyValueStore store, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _loop = RunAsync(store, interval, time, logger, _cts.Token);
    }

    private static async Task RunAsync(IKeyValueStore store, TimeSpan interval, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval, time);
        long previous = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    var status = await store.StatusAsync(ct).ConfigureAwait(false);
                    if (previous > status.CompactRevision)
                    {
                        await store.CompactAsync(previous, ct).ConfigureAwait(false);
                        logger.LogInformation("Compacted the store to revision {Revision}", previous);
                    }
                    previous = status.Header.Revision;
                }
                catch (StoreException e) when (e.Code == StoreErrorCode.Compacted)
                {
                }
                catch (StoreException e)
                {
                    logger.LogWarning(e, "Compaction failed; retrying at the next interval");
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _cts.Dispose();
    }
}
