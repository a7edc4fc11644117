using System.Collections.Concurrent;
using System.Globalization;
using k8s.Models;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Core.Informers;
using Kube.Core.Resources;
using Kube.Core.Selectors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;

/// <summary>
/// Upstream's horizontal-pod-autoscaler controller for <c>autoscaling/v2</c> Resource metrics (cpu and memory, as
/// Utilization of requests or AverageValue), read from <c>metrics.k8s.io/v1beta1</c> PodMetrics through
/// <see cref="IKubeClient"/>. Every <see cref="ControllerManagerOptions.HorizontalPodAutoscalerSyncPeriod"/> (15 s) it
/// reads the target's size (Deployment, ReplicaSet or StatefulSet), computes the desired count per metric (the largest
/// wins), stabilizes and rate-limits it with <c>spec.behavior</c> (upstream's defaults when absent), clamps it to
/// min/max, writes it through the target's <c>scale</c> subresource, and reports status and the AbleToScale,
/// ScalingActive and ScalingLimited conditions with upstream's reasons and the SuccessfulRescale event.
/// </summary>
public sealed partial class HorizontalPodAutoscalerReconciler : IReconciler<V2HorizontalPodAutoscaler>
{
    private readonly IKubeClient _client;
    private readonly IInformer<V2HorizontalPodAutoscaler> _hpas;
    private readonly TimeProvider _time;
    private readonly ControllerManagerOptions _options;
    private readonly ILogger<HorizontalPodAutoscalerReconciler> _logger;
    private readonly IEventRecorder? _events;
    private readonly ConcurrentDictionary<string, ScaleHistory> _histories = new(StringComparer.Ordinal);

    public HorizontalPodAutoscalerReconciler(IKubeClient client, ISharedInformerFactory informers, ResourceTypeRegistry types, TimeProvider time,
        IOptions<ControllerManagerOptions> options, ILogger<HorizontalPodAutoscalerReconciler> logger, IEventRecorder? events = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _hpas = informers.GetInformer<V2HorizontalPodAutoscaler>();
        _time = time;
        _options = options.Value;
        _logger = logger;
        _events = events;
        // The client finds a resource by its model class: map metrics.k8s.io PodMetrics to ours, keeping what the server registered.
        var existing = types.FindByResource("metrics.k8s.io", "v1beta1", "pods");
        if (existing is null) types.Register(ResourceTypeRegistry.FromModel(typeof(PodMetrics), namespaced: true) with { Verbs = ["get", "list"] });
        else if (existing.ClrType is null) types.Register(existing with { ClrType = typeof(PodMetrics) });
    }

    /// <inheritdoc />
    public async Task<ReconcileResult> ReconcileAsync(ReconcileRequest request, CancellationToken cancellationToken)
    {
        var key = $"{request.Namespace}/{request.Name}";
        var hpa = _hpas.Cache.Get(request.Namespace, request.Name);
        if (hpa is null || hpa.Metadata.DeletionTimestamp is not null)
        {
            _histories.TryRemove(key, out _);
            return ReconcileResult.Done;
        }

        var history = _histories.GetOrAdd(key, _ => new ScaleHistory());
        var copy = ObjectCopy.Clone(hpa);
        copy.Status ??= new V2HorizontalPodAutoscalerStatus();
        var conditions = new List<V2HorizontalPodAutoscalerCondition>(copy.Status.Conditions ?? []);
        var now = _time.GetUtcNow();
        var ns = hpa.Metadata.NamespaceProperty ?? "default";
        var reference = hpa.Spec.ScaleTargetRef;
        var min = hpa.Spec.MinReplicas ?? 1;
        var max = hpa.Spec.MaxReplicas;

        (int Spec, int Status, V1LabelSelector? Selector) target;
        try
        {
            target = await ReadTargetAsync(reference, ns, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KubeApiException or NotSupportedException)
        {
            _events?.Record(hpa, EventTypes.Warning, "FailedGetScale", "GetScale", e.Message);
            Set(conditions, "AbleToScale", "False", "FailedGetScale", $"the HPA controller was unable to get the target's current scale: {e.Message}", now);
            await WriteStatusAsync(hpa, copy, conditions, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.RequeueAfter(_options.HorizontalPodAutoscalerSyncPeriod);
        }

        Set(conditions, "AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale", now);
        // Upstream's current count is the scale's spec.replicas; status.currentReplicas reports the same.
        var current = target.Spec;
        int desired;
        string rescaleReason = "";
        List<V2MetricStatus>? currentMetrics = copy.Status.CurrentMetrics?.ToList();
        var up = ScaleNormalizer.ScaleUp(hpa.Spec.Behavior);
        var down = ScaleNormalizer.ScaleDown(hpa.Spec.Behavior);
        if (target.Spec == 0 && min != 0)
        {
            desired = 0;
            Set(conditions, "ScalingActive", "False", "ScalingDisabled", "scaling is disabled since the replica count of the target is zero", now);
        }
        else if (target.Spec > max)
        {
            desired = max;
            rescaleReason = "Current number of replicas above Spec.MaxReplicas";
        }
        else if (target.Spec < min)
        {
            desired = min;
            rescaleReason = "Current number of replicas below Spec.MinReplicas";
        }
        else
        {
            int proposal;
            string metricName;
            try
            {
                (proposal, metricName, currentMetrics) = await ComputeAsync(hpa, current, target.Selector, ns, now, cancellationToken).ConfigureAwait(false);
            }
            catch (MetricException e)
            {
                _events?.Record(hpa, EventTypes.Warning, e.Reason, "GetMetrics", e.Message);
                Set(conditions, "ScalingActive", "False", e.Reason, $"the HPA was unable to compute the replica count: {e.Message}", now);
                copy.Status.CurrentReplicas = current;
                copy.Status.CurrentMetrics = null;
                await WriteStatusAsync(hpa, copy, conditions, cancellationToken).ConfigureAwait(false);
                return ReconcileResult.RequeueAfter(_options.HorizontalPodAutoscalerSyncPeriod);
            }

            Set(conditions, "ScalingActive", "True", "ValidMetricFound", $"the HPA was able to successfully calculate a replica count from {metricName}", now);
            rescaleReason = proposal > current ? $"{metricName} above target" : "All metrics below target";
            var (stabilized, ableReason, ableMessage) = ScaleNormalizer.Stabilize(history, current, proposal, up, down, now);
            Set(conditions, "AbleToScale", "True", ableReason, ableMessage, now);
            var (limited, limitReason, limitMessage) = ScaleNormalizer.Limit(history, current, stabilized, min, max, up, down, now);
            Set(conditions, "ScalingLimited", limited == stabilized ? "False" : "True", limitReason, limitMessage, now);
            desired = limited;
        }

        if (desired != current)
        {
            try
            {
                await WriteScaleAsync(reference, ns, desired, cancellationToken).ConfigureAwait(false);
            }
            catch (KubeApiException e)
            {
                _events?.Record(hpa, EventTypes.Warning, "FailedRescale", "Scale", $"New size: {desired}; reason: {rescaleReason}; error: {e.Message}");
                Set(conditions, "AbleToScale", "False", "FailedUpdateScale", $"the HPA controller was unable to update the target scale: {e.Message}", now);
                await WriteStatusAsync(hpa, copy, conditions, cancellationToken).ConfigureAwait(false);
                return ReconcileResult.RequeueAfter(_options.HorizontalPodAutoscalerSyncPeriod);
            }

            ScaleNormalizer.RecordScale(history, current, desired, up, down, now);
            Set(conditions, "AbleToScale", "True", "SucceededRescale", $"the HPA controller was able to update the target scale to {desired}", now);
            _events?.Record(hpa, EventTypes.Normal, "SuccessfulRescale", "Scale", $"New size: {desired}; reason: {rescaleReason}");
            LogRescale(ns, hpa.Metadata.Name, current, desired, rescaleReason);
            copy.Status.LastScaleTime = now.UtcDateTime;
        }

        copy.Status.CurrentReplicas = current;
        copy.Status.DesiredReplicas = desired;
        copy.Status.CurrentMetrics = currentMetrics;
        await WriteStatusAsync(hpa, copy, conditions, cancellationToken).ConfigureAwait(false);
        return ReconcileResult.RequeueAfter(_options.HorizontalPodAutoscalerSyncPeriod);
    }

    private async Task<(int Spec, int Status, V1LabelSelector? Selector)> ReadTargetAsync(V2CrossVersionObjectReference reference, string ns, CancellationToken ct)
    {
        var group = reference.ApiVersion?.Split('/') is [var g, _] ? g : "";
        return (group, reference.Kind) switch
        {
            ("apps", "Deployment") => await _client.GetAsync<V1Deployment>(reference.Name, ns, ct).ConfigureAwait(false) is var d
                ? (d.Spec?.Replicas ?? 1, d.Status?.Replicas ?? 0, d.Spec?.Selector) : default,
            ("apps", "ReplicaSet") => await _client.GetAsync<V1ReplicaSet>(reference.Name, ns, ct).ConfigureAwait(false) is var r
                ? (r.Spec?.Replicas ?? 1, r.Status?.Replicas ?? 0, r.Spec?.Selector) : default,
            ("apps", "StatefulSet") => await _client.GetAsync<V1StatefulSet>(reference.Name, ns, ct).ConfigureAwait(false) is var s
                ? (s.Spec?.Replicas ?? 1, s.Status?.Replicas ?? 0, s.Spec?.Selector) : default,
            _ => throw new NotSupportedException($"no scale subresource known for {reference.ApiVersion}, Kind={reference.Kind}"),
        };
    }

    private Task WriteScaleAsync(V2CrossVersionObjectReference reference, string ns, int replicas, CancellationToken ct)
    {
        var patch = new KubePatch(KubePatchType.Merge, "{\"spec\":{\"replicas\":" + replicas.ToString(CultureInfo.InvariantCulture) + "}}");
        return reference.Kind switch
        {
            "Deployment" => _client.PatchAsync<V1Deployment>(reference.Name, ns, patch, "scale", cancellationToken: ct),
            "ReplicaSet" => _client.PatchAsync<V1ReplicaSet>(reference.Name, ns, patch, "scale", cancellationToken: ct),
            _ => _client.PatchAsync<V1StatefulSet>(reference.Name, ns, patch, "scale", cancellationToken: ct),
        };
    }

    /// <summary>The largest proposal over the HPA's metrics (cpu at 80 % of requests when none are given), its metric's name, and the metric statuses.</summary>
    private async Task<(int Replicas, string MetricName, List<V2MetricStatus> Statuses)> ComputeAsync(V2HorizontalPodAutoscaler hpa, int current,
        V1LabelSelector? selector, string ns, DateTimeOffset now, CancellationToken ct)
    {
        var specs = hpa.Spec.Metrics is { Count: > 0 } m ? m
            : [new V2MetricSpec { Type = "Resource", Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = 80 } } }];
        if (selector is null) throw new MetricException("InvalidSelector", "the target's selector is empty");
        var selectorText = LabelSelector.FromLabelSelector(selector).ToString();
        var pods = (await _client.ListAsync<V1Pod>(ns, new ListOptions { LabelSelector = selectorText }, ct).ConfigureAwait(false)).Items;
        if (pods.Count == 0) throw new MetricException("FailedGetResourceMetric", "failed to get pods: no pods match the target's selector");
        IReadOnlyList<PodMetrics> podMetrics;
        try
        {
            podMetrics = (await _client.ListAsync<PodMetrics>(ns, new ListOptions { LabelSelector = selectorText }, ct).ConfigureAwait(false)).Items;
        }
        catch (Exception e) when (e is KubeApiException or InvalidOperationException)
        {
            // InvalidOperationException: the client has no metrics.k8s.io PodMetrics (the server does not serve the API).
            throw new MetricException("FailedGetResourceMetric", $"failed to get {Resource(specs[0])} utilization: unable to get metrics for resource {Resource(specs[0])}: unable to fetch metrics from resource metrics API: {e.Message}");
        }

        var best = -1;
        var bestName = "";
        var statuses = new List<V2MetricStatus>();
        MetricException? firstError = null;
        foreach (var spec in specs)
        {
            if (spec.Type != "Resource" || spec.Resource is not { } source)
            {
                firstError ??= new MetricException("InvalidMetricSourceType", $"the HPA was unable to compute the replica count: unsupported metric source type {spec.Type}");
                continue;
            }

            var resource = source.Name;
            var samples = Samples(podMetrics, resource);
            try
            {
                ReplicaCalculation calc;
                string name;
                if (source.Target.Type == "Utilization")
                {
                    var targetUtilization = source.Target.AverageUtilization ?? throw new MetricException("FailedGetResourceMetric", "invalid resource metric source: neither a utilization target nor a value target was set");
                    calc = ReplicaCalculator.ForUtilization(current, targetUtilization, resource, pods, samples, now);
                    name = $"{resource} resource utilization (percentage of request)";
                }
                else
                {
                    var target = source.Target.AverageValue ?? throw new MetricException("FailedGetResourceMetric", "invalid resource metric source: neither a utilization target nor a value target was set");
                    calc = ReplicaCalculator.ForAverageValue(current, target.ToDecimal() * 1000, resource, pods, samples, now);
                    name = $"{resource} resource";
                }

                statuses.Add(new V2MetricStatus
                {
                    Type = "Resource",
                    Resource = new V2ResourceMetricStatus
                    {
                        Name = resource,
                        Current = new V2MetricValueStatus { AverageUtilization = calc.Utilization, AverageValue = Quantity(calc.AverageMilli, resource) },
                    },
                });
                if (calc.Replicas > best)
                {
                    best = calc.Replicas;
                    bestName = name;
                }
            }
            catch (InvalidOperationException e)
            {
                firstError ??= new MetricException("FailedGetResourceMetric", $"failed to get {resource} utilization: {e.Message}");
            }
        }

        // Upstream scales on the metrics it could read unless none worked (or a failing one might have asked to scale up).
        if (best < 0 || (firstError is not null && best <= current)) throw firstError ?? new MetricException("FailedGetResourceMetric", "no metrics");
        return (best, bestName, statuses);
    }

    private static string Resource(V2MetricSpec spec) => spec.Resource?.Name ?? spec.Type;

    private static Dictionary<string, PodMetricSample> Samples(IReadOnlyList<PodMetrics> metrics, string resource)
    {
        var samples = new Dictionary<string, PodMetricSample>(StringComparer.Ordinal);
        foreach (var pm in metrics)
        {
            if (pm.Containers is not { Count: > 0 } containers) continue;
            decimal total = 0;
            var complete = true;
            foreach (var c in containers)
            {
                if (c.Usage?.TryGetValue(resource, out var q) != true || q is null)
                {
                    complete = false;
                    break;
                }

                total += q.ToDecimal() * 1000;
            }

            if (!complete) continue;
            var at = pm.Timestamp is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.MinValue;
            samples[pm.Metadata.Name] = new PodMetricSample(total, at, Window(pm.Window));
        }

        return samples;
    }

    private static TimeSpan Window(string? text) =>
        text is { Length: > 1 } && text.EndsWith('s') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s)
            ? TimeSpan.FromSeconds(s)
            : TimeSpan.FromSeconds(15);

    private static ResourceQuantity Quantity(decimal milli, string resource) =>
        resource == "cpu"
            ? new ResourceQuantity(Math.Round(milli).ToString(CultureInfo.InvariantCulture) + "m")
            : new ResourceQuantity(Math.Round(milli / 1000).ToString(CultureInfo.InvariantCulture));

    private static void Set(List<V2HorizontalPodAutoscalerCondition> conditions, string type, string status, string reason, string message, DateTimeOffset now)
    {
        var i = conditions.FindIndex(c => c.Type == type);
        var old = i >= 0 ? conditions[i] : null;
        var condition = new V2HorizontalPodAutoscalerCondition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            LastTransitionTime = old is not null && old.Status == status ? old.LastTransitionTime : now.UtcDateTime,
        };
        if (i >= 0) conditions[i] = condition;
        else conditions.Add(condition);
    }

    private async Task WriteStatusAsync(V2HorizontalPodAutoscaler hpa, V2HorizontalPodAutoscaler copy, List<V2HorizontalPodAutoscalerCondition> conditions,
        CancellationToken ct)
    {
        copy.Status.Conditions = conditions;
        copy.Status.ObservedGeneration = hpa.Metadata.Generation;
        if (k8s.KubernetesJson.Serialize(copy.Status) == k8s.KubernetesJson.Serialize(hpa.Status)) return;
        try
        {
            await _client.UpdateStatusAsync(copy, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HPA {Namespace}/{Name} rescaled its target from {From} to {To}: {Reason}")]
    private partial void LogRescale(string @namespace, string name, int from, int to, string reason);
}
