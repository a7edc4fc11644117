using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Core.LeaderElection;

/// <summary>
/// Leader election on a coordination.k8s.io/v1 <see cref="V1Lease"/>, as client-go's leaderelection with the Lease lock.
/// </summary>
/// <remarks>
/// Every <see cref="LeaderElectionOptions.RetryPeriod"/> a candidate reads the Lease. It takes it when it is free,
/// released, or not renewed for <see cref="LeaderElectionOptions.LeaseDuration"/> <em>as measured on this candidate's
/// clock since it last saw the Lease change</em> (so clock skew between machines does not matter). Writes carry the
/// read resourceVersion, so of two racing candidates only one wins (409 Conflict for the other). The leader renews
/// every retry period and gives up when no renewal succeeded for <see cref="LeaderElectionOptions.RenewDeadline"/>.
/// <c>acquireTime</c> and <c>renewTime</c> are MicroTime; <c>leaseTransitions</c> counts changes of holder.
/// </remarks>
public sealed partial class LeaderElector
{
    private readonly IKubeClient _client;
    private readonly LeaderElectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private V1Lease? _observed;
    private long _observedAt;
    private string? _observedHolder;
    private volatile bool _isLeader;
    private volatile string? _currentLeader;

    /// <param name="random">The jitter source of acquire attempts; default <see cref="Random.Shared"/>.</param>
    public LeaderElector(IKubeClient client, LeaderElectionOptions options, TimeProvider? time = null, ILogger<LeaderElector>? logger = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _client = client;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _random = random ?? Random.Shared;
    }

    public LeaderElectionOptions Options => _options;

    /// <summary>True while this candidate holds the lease.</summary>
    public bool IsLeader => _isLeader;

    /// <summary>The holder last observed, or null before the first read.</summary>
    public string? CurrentLeader => _currentLeader;

    /// <summary>
    /// Runs <paramref name="work"/> only while this candidate leads, and campaigns again after each loss, until
    /// <paramref name="cancellationToken"/> is cancelled. The token given to <paramref name="work"/> is cancelled when
    /// leadership is lost; its cancellation ends that term quietly, and <paramref name="onLostLeadership"/> is called.
    /// This is the loop every leader-elected component (controller manager, scheduler) runs.
    /// </summary>
    public static async Task RunWhileLeadingAsync(IKubeClient client, LeaderElectionOptions options, Func<CancellationToken, Task> work,
        TimeProvider? time, ILogger<LeaderElector>? logger, Action? onLostLeadership, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        while (!cancellationToken.IsCancellationRequested)
        {
            Task? running = null;
            var elector = new LeaderElector(client, options with { OnStartedLeading = ct => running = work(ct) }, time, logger);
            await elector.RunAsync(cancellationToken).ConfigureAwait(false);
            if (running is not null)
            {
                try
                {
                    await running.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }

            if (!cancellationToken.IsCancellationRequested) onLostLeadership?.Invoke();
        }
    }

    /// <summary>
    /// Campaigns until this candidate leads, then renews until leadership is lost or <paramref name="cancellationToken"/>
    /// is cancelled, and returns. (Run it again to campaign again.)
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // acquire
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false)) break;
            var jittered = _options.RetryPeriod + TimeSpan.FromTicks((long)(_options.RetryPeriod.Ticks * 1.2 * _random.NextDouble()));
            try
            {
                await Task.Delay(jittered, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        LogStartedLeading(_logger, _options.Identity, _options.LeaseNamespace, _options.LeaseName);
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var work = _options.OnStartedLeading is { } start ? Task.Run(() => start(leading.Token), CancellationToken.None) : Task.CompletedTask;
        _ = work.ContinueWith(t => LogLeadingFailed(_logger, t.Exception!, _options.Identity), CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

        // renew
        var lastRenew = _time.GetTimestamp();
        try
        {
            while (true)
            {
                await Task.Delay(_options.RetryPeriod, _time, cancellationToken).ConfigureAwait(false);
                if (await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false))
                {
                    lastRenew = _time.GetTimestamp();
                    continue;
                }

                if (_time.GetElapsedTime(lastRenew) >= _options.RenewDeadline)
                {
                    LogLost(_logger, _options.Identity, _options.RenewDeadline);
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (_options.ReleaseOnCancel) await ReleaseAsync().ConfigureAwait(false);
        }
        finally
        {
            _isLeader = false;
            await leading.CancelAsync().ConfigureAwait(false);
            try
            {
                _options.OnStoppedLeading?.Invoke();
            }
            catch (Exception ex)
            {
                LogCallbackFailed(_logger, ex, nameof(LeaderElectionOptions.OnStoppedLeading));
            }
        }
    }

    /// <summary>
    /// One attempt: reads the Lease and takes or renews it when allowed. Returns true when this candidate holds it
    /// afterwards. Errors count as a failed attempt. This is the step <see cref="RunAsync"/> repeats.
    /// </summary>
    public async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(_options.RenewDeadline);
        var now = _time.GetUtcNow().UtcDateTime;
        try
        {
            V1Lease? lease;
            try
            {
                lease = await _client.GetAsync<V1Lease>(_options.LeaseName, _options.LeaseNamespace, attempt.Token).ConfigureAwait(false);
            }
            catch (NotFoundException)
            {
                lease = null;
            }

            if (lease is null)
            {
                var created = await _client.CreateAsync(NewLease(null, now), cancellationToken: attempt.Token).ConfigureAwait(false);
                Observe(created);
                return _isLeader = true;
            }

            Observe(lease);
            var holder = lease.Spec?.HolderIdentity;
            var held = !string.IsNullOrEmpty(holder);
            if (held && holder != _options.Identity)
            {
                var duration = lease.Spec?.LeaseDurationSeconds is int s and > 0 ? TimeSpan.FromSeconds(s) : _options.LeaseDuration;
                if (_time.GetElapsedTime(_observedAt) < duration)
                {
                    _isLeader = false;
                    return false;
                }
            }

            var updated = await _client.UpdateAsync(NewLease(lease, now), cancellationToken: attempt.Token).ConfigureAwait(false);
            Observe(updated);
            return _isLeader = true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is KubeApiException or HttpRequestException or OperationCanceledException or IOException)
        {
            LogAttemptFailed(_logger, _options.Identity, ex.GetType().Name, ex.Message);
            return false;
        }
    }

    private V1Lease NewLease(V1Lease? current, DateTime now)
    {
        var mine = current?.Spec?.HolderIdentity == _options.Identity;
        var transitions = current?.Spec?.LeaseTransitions ?? 0;
        return new V1Lease
        {
            ApiVersion = "coordination.k8s.io/v1",
            Kind = "Lease",
            Metadata = new V1ObjectMeta
            {
                Name = _options.LeaseName,
                NamespaceProperty = _options.LeaseNamespace,
                ResourceVersion = current?.Metadata?.ResourceVersion,
                Labels = current?.Metadata?.Labels,
                Annotations = current?.Metadata?.Annotations,
            },
            Spec = new V1LeaseSpec
            {
                HolderIdentity = _options.Identity,
                LeaseDurationSeconds = (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds),
                AcquireTime = mine ? current!.Spec!.AcquireTime : now,
                RenewTime = now,
                LeaseTransitions = current is null ? 0 : mine ? transitions : transitions + 1,
            },
        };
    }

    private void Observe(V1Lease lease)
    {
        var holder = lease.Spec?.HolderIdentity;
        if (_observed is null || _observedHolder != holder || _observed.Spec?.RenewTime != lease.Spec?.RenewTime
            || _observed.Metadata?.ResourceVersion != lease.Metadata?.ResourceVersion)
        {
            _observedAt = _time.GetTimestamp();
        }

        _observed = lease;
        if (_observedHolder != holder)
        {
            _observedHolder = holder;
            _currentLeader = holder;
            if (!string.IsNullOrEmpty(holder))
            {
                LogNewLeader(_logger, holder, _options.LeaseNamespace, _options.LeaseName);
                try
                {
                    _options.OnNewLeader?.Invoke(holder);
                }
                catch (Exception ex)
                {
                    LogCallbackFailed(_logger, ex, nameof(LeaderElectionOptions.OnNewLeader));
                }
            }
        }
    }

    private async Task ReleaseAsync()
    {
        if (_observed?.Spec?.HolderIdentity != _options.Identity) return;
        using var cts = new CancellationTokenSource(_options.RenewDeadline, _time);
        try
        {
            var now = _time.GetUtcNow().UtcDateTime;
            var released = NewLease(_observed, now);
            released.Spec.HolderIdentity = null;
            released.Spec.LeaseDurationSeconds = 1;
            released.Spec.LeaseTransitions = _observed.Spec.LeaseTransitions ?? 0;
            Observe(await _client.UpdateAsync(released, cancellationToken: cts.Token).ConfigureAwait(false));
            LogReleased(_logger, _options.Identity);
        }
        catch (Exception ex) when (ex is KubeApiException or HttpRequestException or OperationCanceledException or IOException)
        {
            LogAttemptFailed(_logger, _options.Identity, ex.GetType().Name, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} became leader of lease {Namespace}/{Name}")]
    private static partial void LogStartedLeading(ILogger logger, string identity, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Identity} lost leadership: no renewal succeeded within {RenewDeadline}")]
    private static partial void LogLost(ILogger logger, string identity, TimeSpan renewDeadline);

    [LoggerMessage(Level = LogLevel.Information, Message = "New leader {Holder} of lease {Namespace}/{Name}")]
    private static partial void LogNewLeader(ILogger logger, string holder, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Identity} failed to acquire or renew: {Error} {Message}")]
    private static partial void LogAttemptFailed(ILogger logger, string identity, string error, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} released the lease")]
    private static partial void LogReleased(ILogger logger, string identity);

    [LoggerMessage(Level = LogLevel.Error, Message = "OnStartedLeading of {Identity} failed")]
    private static partial void LogLeadingFailed(ILogger logger, Exception exception, string identity);

    [LoggerMessage(Level = LogLevel.Error, Message = "Leader election callback {Callback} threw")]
    private static partial void LogCallbackFailed(ILogger logger, Exception exception, string callback);
}
