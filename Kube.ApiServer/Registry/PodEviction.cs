using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Client;

namespace Kube.ApiServer.Registry;

/// <summary>
/// POST pods/{name}/eviction: a graceful delete of the pod unless a PodDisruptionBudget selecting it would be
/// violated, which is 429 TooManyRequests as upstream answers (kubectl drain then retries). The budget is
/// judged from the pods it selects now: healthy means Running and Ready, not being deleted.
/// </summary>
internal static class PodEviction
{
    public static async Task EvictAsync(GenericRegistry registry, RequestScope s, JsonObject eviction, CancellationToken ct)
    {
        await registry.AuthorizeAsync(s, "create", ct).ConfigureAwait(false);
        var podScope = s with { Subresource = null };
        var pod = await registry.GetAsync(podScope, ct).ConfigureAwait(false);
        var evictName = Json.Name(eviction);
        if (evictName.Length > 0 && evictName != s.Name)
            throw Errors.BadRequest($"name in URL does not match name in Eviction object");

        var deleteOptions = Json.Obj(eviction, "deleteOptions");
        var phase = Json.Path(pod, "status", "phase");
        var deleting = Json.Metadata(pod)["deletionTimestamp"] is not null;
        if (phase is not ("Succeeded" or "Failed") && !deleting && IsHealthy(pod))
        {
            var pdbType = registry.Types.FindByResource("policy", "v1", "poddisruptionbudgets");
            if (pdbType is not null)
            {
                var pdbs = await registry.ListAsync(new RequestScope(pdbType, s.Namespace, null, null, s.User), new ListOptions(), ct, authorize: false).ConfigureAwait(false);
                foreach (var pdb in pdbs.Items)
                {
                    if (Json.Obj(Json.Obj(pdb, "spec"), "selector") is not { } selector) continue;
                    var text = GenericRegistry.SelectorText(selector);
                    if (text.Length == 0) continue;
                    var podLabels = Json.Obj(Json.Metadata(pod), "labels");
                    if (!Kube.Core.Selectors.LabelSelector.Parse(text).Matches(k => Json.Str(podLabels, k))) continue;
                    var pods = await registry.ListAsync(podScope with { Name = null }, new ListOptions { LabelSelector = text }, ct, authorize: false).ConfigureAwait(false);
                    var expected = pods.Items.Count(p => Json.Path(p, "status", "phase") is not ("Succeeded" or "Failed"));
                    var healthy = pods.Items.Count(p => Json.Metadata(p)["deletionTimestamp"] is null && IsHealthy(p));
                    var spec = Json.Obj(pdb, "spec")!;
                    int desired;
                    if (spec["minAvailable"] is { } min) desired = Resolve(min, expected, roundUp: true);
                    else if (spec["maxUnavailable"] is { } max) desired = Math.Max(0, expected - Resolve(max, expected, roundUp: true));
                    else continue;
                    if (healthy - 1 < desired)
                    {
                        var cause = new V1StatusCause
                        {
                            Reason = "DisruptionBudget",
                            Message = $"The disruption budget {Json.Name(pdb)} needs {desired} healthy pods and has {healthy} currently",
                        };
                        throw KubeApiException.FromStatus(KubeApiException.NewStatus(429, "TooManyRequests",
                            "Cannot evict pod as it would violate the pod's disruption budget.",
                            new V1StatusDetails { Causes = [cause] }));
                    }
                }
            }
        }

        long? grace = Json.Long(deleteOptions?["gracePeriodSeconds"]);
        var dryRun = Json.Arr(deleteOptions, "dryRun") is { Count: > 0 } dr ? Json.Str(dr[0]) : null;
        await registry.DeleteAsync(podScope, new DeleteOptions { GracePeriodSeconds = grace, DryRun = dryRun,
            PreconditionUid = Json.Path(deleteOptions, "preconditions", "uid"),
            PreconditionResourceVersion = Json.Path(deleteOptions, "preconditions", "resourceVersion") }, ct, authorize: false).ConfigureAwait(false);
    }

    private static bool IsHealthy(JsonObject pod) =>
        Json.Path(pod, "status", "phase") == "Running"
        && Json.Arr(Json.Obj(pod, "status"), "conditions") is { } conditions
        && conditions.OfType<JsonObject>().Any(c => Json.Str(c, "type") == "Ready" && Json.Str(c, "status") == "True");

    private static int Resolve(JsonNode value, int total, bool roundUp)
    {
        if (value is JsonValue v && v.TryGetValue<int>(out var i)) return i;
        var s = Json.Str(value) ?? "0";
        if (s.EndsWith('%') && int.TryParse(s[..^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pct))
            return roundUp ? (int)Math.Ceiling(total * pct / 100.0) : total * pct / 100;
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }
}
