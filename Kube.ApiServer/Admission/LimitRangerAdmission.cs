using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's LimitRanger for new pods, from the namespace's LimitRanges of type Container: containers without
/// requests/limits get <c>defaultRequest</c>/<c>default</c> (a missing request defaults to the limit), then min and
/// max are checked: 403 <c>pods "x" is forbidden: [maximum cpu usage per Container is 1, but limit is 2]</c>.
/// Runs as a mutating plugin that also validates the result (upstream's plugin is both).
/// </summary>
public sealed class LimitRangerAdmission(IKubeClient client) : IAdmissionPlugin, IUsesAdmissionLister
{
    private AdmissionLister? _lister;

    void IUsesAdmissionLister.SetLister(AdmissionLister lister) => _lister = lister;

    public string Name => "LimitRanger";

    public bool IsMutating => true;

    public bool Handles(AdmissionRequest request) =>
        request.Operation == AdmissionOperation.Create && request.Resource.Group == "" && request.Resource.Plural == "pods" && request.Subresource is null;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Object?["spec"] is not JsonObject spec || request.Namespace is null) return;
        var ranges = await _lister.ListOrLiveAsync<V1LimitRange>(client, request.Namespace, cancellationToken).ConfigureAwait(false);
        var items = ranges.SelectMany(r => r.Spec?.Limits ?? []).Where(l => l.Type == "Container").ToList();
        if (items.Count == 0) return;
        var containers = new[] { "initContainers", "containers" }.SelectMany(k => (spec[k] as JsonArray)?.OfType<JsonObject>() ?? []).ToList();
        var errors = new List<string>();
        foreach (var item in items)
        {
            foreach (var c in containers)
            {
                var res = c["resources"] as JsonObject ?? new JsonObject();
                c["resources"] = res;
                var limits = res["limits"] as JsonObject ?? new JsonObject();
                var requests = res["requests"] as JsonObject ?? new JsonObject();
                foreach (var (k, v) in item.DefaultProperty ?? new Dictionary<string, ResourceQuantity>())
                    if (limits[k] is null) limits[k] = v.ToString();
                foreach (var (k, v) in item.DefaultRequest ?? new Dictionary<string, ResourceQuantity>())
                    if (requests[k] is null) requests[k] = v.ToString();
                foreach (var (k, v) in limits.ToList())
                    if (requests[k] is null && v is not null) requests[k] = v.ToString();
                if (limits.Count > 0) res["limits"] = limits;
                if (requests.Count > 0) res["requests"] = requests;
                foreach (var (k, min) in item.Min ?? new Dictionary<string, ResourceQuantity>())
                {
                    if (requests[k]?.ToString() is { } r && new ResourceQuantity(r).ToDecimal() < min.ToDecimal())
                        errors.Add($"minimum {k} usage per Container is {min}, but request is {r}");
                    if (limits[k]?.ToString() is { } l && new ResourceQuantity(l).ToDecimal() < min.ToDecimal())
                        errors.Add($"minimum {k} usage per Container is {min}, but limit is {l}");
                }
                foreach (var (k, max) in item.Max ?? new Dictionary<string, ResourceQuantity>())
                {
                    if (limits[k]?.ToString() is { } l)
                    {
                        if (new ResourceQuantity(l).ToDecimal() > max.ToDecimal()) errors.Add($"maximum {k} usage per Container is {max}, but limit is {l}");
                    }
                    else
                    {
                        errors.Add($"maximum {k} usage per Container is {max}.  No limit is specified");
                    }
                }
            }
        }
        if (errors.Count > 0)
        {
            var name = request.Name ?? request.Object["metadata"]?["name"]?.GetValue<string>() ?? "";
            throw new KubeApiException(new V1Status
            {
                ApiVersion = "v1", Kind = "Status", Status = "Failure", Code = 403, Reason = "Forbidden",
                Message = $"pods \"{name}\" is forbidden: [{string.Join(", ", errors)}]",
                Details = new V1StatusDetails { Name = name, Kind = "pods" },
            });
        }
    }
}
