using Kube.Controllers.Internal;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Core.LeaderElection;
using Kube.Core.WorkQueue;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kube.Controllers.Runtime;

/// <summary>
/// Runs the registered controllers as a hosted service: builds them, subscribes their handlers, starts the
/// shared informer factory, waits for the caches to sync, then runs every controller's workers until the host stops.
/// </summary>
public sealed partial class ControllerManager : BackgroundService
{
    private readonly IServiceProvider _services;
    private readonly IEnumerable<IControllerRegistration> _registrations;
    private readonly ISharedInformerFactory _informers;
    private readonly TimeProvider _time;
    private readonly ControllerManagerOptions _options;
    private readonly ILogger<ControllerManager> _logger;
    private readonly ILoggerFactory _loggers;
    private readonly ControllerMetrics _metrics;
    private readonly IKubeClient _client;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal ControllerManager(
        IServiceProvider services,
        IEnumerable<IControllerRegistration> registrations,
        ISharedInformerFactory informers,
        IKubeClient client,
        TimeProvider time,
        IOptions<ControllerManagerOptions> options,
        ILoggerFactory loggers)
    {
        _client = client;
        _services = services;
        _registrations = registrations;
        _informers = informers;
        _time = time;
        _options = options.Value;
        _logger = loggers.CreateLogger<ControllerManager>();
        _loggers = loggers;
        _metrics = new ControllerMetrics(services.GetService(typeof(System.Diagnostics.Metrics.IMeterFactory)) as System.Diagnostics.Metrics.IMeterFactory);
    }

    /// <summary>Completes once the caches have synced and the workers run.</summary>
    public Task Started => _started.Task;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (_options.LeaderElection)
                await RunWithLeaderElectionAsync(stoppingToken).ConfigureAwait(false);
            else
                await RunControllersAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _started.TrySetException(ex);
            throw;
        }
        finally
        {
            _started.TrySetCanceled(CancellationToken.None);
        }
    }

    /// <summary>
    /// Campaigns for the Lease; while leading, runs the controllers (cancelled when leadership is lost), then campaigns
    /// again with freshly built controllers until the host stops.
    /// </summary>
    private Task RunWithLeaderElectionAsync(CancellationToken stoppingToken)
    {
        var identity = _options.Identity ?? $"{Environment.MachineName}_{Guid.NewGuid():N}";
        var election = new LeaderElectionOptions { LeaseName = _options.LeaseName, LeaseNamespace = _options.LeaseNamespace, Identity = identity };
        return LeaderElector.RunWhileLeadingAsync(_client, election, RunControllersAsync, _time, _loggers.CreateLogger<LeaderElector>(),
            () => LogLostLeadership(identity), stoppingToken);
    }

    private async Task RunControllersAsync(CancellationToken stoppingToken)
    {
        var controllers = _registrations
            .Select(r => r.Build(_services, name => new WorkQueue<ReconcileRequest>(_time, RateLimiters.DefaultControllerRateLimiter<ReconcileRequest>(_time), name), _metrics))
            .ToList();
        foreach (var c in controllers) c.Subscribe(_informers);

        _informers.Start(stoppingToken);
        using (var syncTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            syncTimeout.CancelAfter(_options.CacheSyncTimeout);
            try
            {
                await _informers.WaitForCacheSyncAsync(syncTimeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The informer caches did not sync within {_options.CacheSyncTimeout}.");
            }
        }

        LogRunning(controllers.Count);
        var running = controllers.Select(c => c.RunAsync(stoppingToken)).ToList();
        _started.TrySetResult();
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        base.Dispose();
        _metrics.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controller manager {Identity} lost leadership; campaigning again")]
    private partial void LogLostLeadership(string identity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller manager running {Count} controller(s)")]
    private partial void LogRunning(int count);
}
