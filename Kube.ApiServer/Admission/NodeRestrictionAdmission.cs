using System.Text.Json.Nodes;
using Kube.ApiServer.Authorization;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's NodeRestriction, for what the Node authorizer lets a node do without knowing the object: a node
/// (<c>system:node:&lt;name&gt;</c> in <c>system:nodes</c>) may create only mirror pods (the
/// <c>kubernetes.io/config.mirror</c> annotation) bound to itself that reference no secrets, configmaps, claims or
/// service account, and may create or update only its own Node object. Other users are not affected.
/// </summary>
public sealed class NodeRestrictionAdmission : IAdmissionPlugin
{
    /// <summary>The annotation that marks a mirror pod of a static pod.</summary>
    public const string MirrorPodAnnotation = "kubernetes.io/config.mirror";

    public string Name => "NodeRestriction";

    public bool IsMutating => false;

    public bool Handles(AdmissionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Resource.Group == "" && request.Resource.Plural is "pods" or "nodes" && NodeOf(request.User) is not null;
    }

    public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var node = NodeOf(request.User)!;
        if (request.Resource.Plural == "nodes")
        {
            // A node may create or change only its own Node (status included).
            var target = request.Name ?? request.Object?["metadata"]?["name"]?.GetValue<string>();
            if (request.Operation is AdmissionOperation.Create or AdmissionOperation.Update && target != node)
                throw Forbidden(request, $"node \"{node}\" is not allowed to modify node \"{target}\"");
            return ValueTask.CompletedTask;
        }
        if (request.Operation != AdmissionOperation.Create || request.Subresource is not null || request.Object is not { } pod)
            return ValueTask.CompletedTask;
        if (pod["metadata"]?["annotations"]?[MirrorPodAnnotation] is null)
            throw Forbidden(request, $"pod does not have \"{MirrorPodAnnotation}\" annotation, node \"{node}\" can only create mirror pods");
        var spec = pod["spec"] as JsonObject;
        if (spec?["nodeName"]?.GetValue<string>() != node)
            throw Forbidden(request, $"node \"{node}\" can only create pods with spec.nodeName set to itself");
        if (spec["serviceAccountName"]?.GetValue<string>() is { Length: > 0 })
            throw Forbidden(request, $"node \"{node}\" can not create pods that reference a service account");
        foreach (var volume in (spec["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var kind = volume.ContainsKey("secret") ? "secrets"
                : volume.ContainsKey("configMap") ? "configmaps"
                : volume.ContainsKey("persistentVolumeClaim") ? "persistentvolumeclaims"
                : volume.ContainsKey("projected") ? "projected volumes"
                : null;
            if (kind is not null)
                throw Forbidden(request, $"node \"{node}\" can not create pods that reference {kind}");
        }
        return ValueTask.CompletedTask;
    }

    private static string? NodeOf(UserInfo user) =>
        user.Groups.Contains(NodeAuthorizer.NodesGroup) && user.Name.StartsWith(NodeAuthorizer.NodeUserPrefix, StringComparison.Ordinal)
            ? user.Name[NodeAuthorizer.NodeUserPrefix.Length..]
            : null;

    private static KubeApiException Forbidden(AdmissionRequest request, string message) =>
        new ForbiddenException(new k8s.Models.V1Status
        {
            ApiVersion = "v1",
            Kind = "Status",
            Status = "Failure",
            Reason = "Forbidden",
            Code = 403,
            Message = $"{request.Resource.Plural} \"{request.Name ?? request.Object?["metadata"]?["name"]?.GetValue<string>()}\" is forbidden: {message}",
            Details = new k8s.Models.V1StatusDetails { Name = request.Name, Kind = request.Resource.Plural },
        });
}
