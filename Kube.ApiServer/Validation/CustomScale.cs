using System.Globalization;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation;

/// <summary>
/// The scale subresource of a custom resource: replicas live where the CRD version's <c>subresources.scale</c> says
/// (specReplicasPath, statusReplicasPath, labelSelectorPath: simple JSON paths like <c>.spec.replicas</c>).
/// </summary>
internal sealed record CustomScale(string SpecReplicasPath, string StatusReplicasPath, string? LabelSelectorPath)
{
    public static CustomScale? From(JsonObject? scale) =>
        Json.Str(scale, "specReplicasPath") is { Length: > 1 } spec && Json.Str(scale, "statusReplicasPath") is { Length: > 1 } status
            ? new CustomScale(spec, status, Json.Str(scale, "labelSelectorPath") is { Length: > 1 } sel ? sel : null)
            : null;

    /// <summary>The autoscaling/v1 Scale of <paramref name="obj"/>.</summary>
    public JsonObject ToScale(JsonObject obj)
    {
        var meta = Json.Metadata(obj);
        var status = new JsonObject { ["replicas"] = Json.Long(Get(obj, StatusReplicasPath)) ?? 0 };
        if (LabelSelectorPath is not null && Json.Str(Get(obj, LabelSelectorPath)) is { } selector) status["selector"] = selector;
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta["name"]?.DeepClone(),
                ["namespace"] = meta["namespace"]?.DeepClone(),
                ["uid"] = meta["uid"]?.DeepClone(),
                ["resourceVersion"] = meta["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = meta["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = Json.Long(Get(obj, SpecReplicasPath)) ?? 0 },
            ["status"] = status,
        };
    }

    /// <summary>Sets the replicas at specReplicasPath, creating the objects on the way.</summary>
    public void SetReplicas(JsonObject obj, long replicas)
    {
        var parts = Parts(SpecReplicasPath);
        var node = obj;
        for (var i = 0; i < parts.Length - 1; i++) node = Json.EnsureObj(node, parts[i]);
        node[parts[^1]] = replicas;
    }

    private static JsonNode? Get(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var p in Parts(path)) node = (node as JsonObject)?[p];
        return node;
    }

    private static string[] Parts(string path) => path.TrimStart('.').Split('.', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{SpecReplicasPath} {StatusReplicasPath} {LabelSelectorPath}");
}
