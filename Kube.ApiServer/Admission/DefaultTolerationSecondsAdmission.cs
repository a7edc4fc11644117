using System.Text.Json.Nodes;
using Kube.Core.Admission;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's DefaultTolerationSeconds: a new pod without them gets NoExecute tolerations of
/// <c>node.kubernetes.io/not-ready</c> and <c>node.kubernetes.io/unreachable</c> for <see cref="Seconds"/>.
/// </summary>
public sealed class DefaultTolerationSecondsAdmission : IAdmissionPlugin
{
    /// <summary>tolerationSeconds of the added tolerations. Default 300, as upstream.</summary>
    public long Seconds { get; init; } = 300;

    public string Name => "DefaultTolerationSeconds";

    public bool IsMutating => true;

    public bool Handles(AdmissionRequest request) =>
        request.Operation == AdmissionOperation.Create && request.Resource.Group == "" && request.Resource.Plural == "pods" && request.Subresource is null;

    public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Object?["spec"] is not JsonObject spec) return ValueTask.CompletedTask;
        var tolerations = spec["tolerations"] as JsonArray ?? [];
        foreach (var key in new[] { "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable" })
        {
            var covered = tolerations.OfType<JsonObject>().Any(t =>
                (t["key"]?.GetValue<string>() == key || (t["key"] is null && t["operator"]?.GetValue<string>() == "Exists"))
                && (t["effect"] is null || t["effect"]!.GetValue<string>() is "" or "NoExecute"));
            if (!covered)
                tolerations.Add(new JsonObject { ["key"] = key, ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = Seconds });
        }
        spec["tolerations"] = tolerations;
        return ValueTask.CompletedTask;
    }
}
