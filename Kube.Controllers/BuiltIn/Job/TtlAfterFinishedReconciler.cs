using k8s.Models;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Helpers;
using Kube.Core.Informers;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.BuiltIn.Job;

/// <summary>
/// Upstream's ttl-after-finished controller: a finished Job (Complete or Failed) with <c>spec.ttlSecondsAfterFinished</c>
/// is deleted, with its pods (background propagation), that many seconds after it finished.
/// </summary>
public sealed partial class TtlAfterFinishedReconciler(IKubeClient client, ISharedInformerFactory informers, TimeProvider time,
    ILogger<TtlAfterFinishedReconciler> logger) : IReconciler<V1Job>
{
    private readonly IInformer<V1Job> _jobs = (informers ?? throw new ArgumentNullException(nameof(informers))).GetInformer<V1Job>();

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var job = _jobs.Cache.Get(request.Namespace, request.Name);
        if (job?.Spec?.TtlSecondsAfterFinished is not { } ttl || job.Metadata.DeletionTimestamp is not null) return ReconcileResult.Done;
        if (FinishedAt(job) is not { } finished) return ReconcileResult.Done;
        var left = finished.AddSeconds(ttl) - time.GetUtcNow();
        if (left > TimeSpan.Zero) return ReconcileResult.RequeueAfter(left + TimeSpan.FromMilliseconds(10));

        // Check the server's copy: the TTL may have been changed since the cache saw it.
        V1Job fresh;
        try
        {
            fresh = await client.GetAsync<V1Job>(job.Metadata.Name, job.Metadata.NamespaceProperty, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return ReconcileResult.Done;
        }

        if (fresh.Spec?.TtlSecondsAfterFinished is not { } freshTtl || FinishedAt(fresh) is not { } freshFinished) return ReconcileResult.Done;
        left = freshFinished.AddSeconds(freshTtl) - time.GetUtcNow();
        if (left > TimeSpan.Zero) return ReconcileResult.RequeueAfter(left + TimeSpan.FromMilliseconds(10));
        LogDeleting(request.ToString(), freshTtl);
        try
        {
            await client.DeleteAsync<V1Job>(fresh.Metadata.Name, fresh.Metadata.NamespaceProperty,
                new DeleteOptions { PropagationPolicy = PropagationPolicy.Background, PreconditionUid = fresh.Metadata.Uid }, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex is NotFoundException or ConflictException)
        {
        }

        return ReconcileResult.Done;
    }

    /// <summary>When the Job finished: the last transition of its true Complete or Failed condition.</summary>
    internal static DateTimeOffset? FinishedAt(V1Job job)
    {
        var c = job.Status?.Conditions?.FirstOrDefault(c => c.Status == Conditions.True && c.Type is JobConstants.Complete or JobConstants.Failed);
        if (c is null) return null;
        var t = c.LastTransitionTime ?? job.Status?.CompletionTime;
        return t is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Key} finished more than {Ttl}s ago: deleting it")]
    private partial void LogDeleting(string key, int ttl);
}
