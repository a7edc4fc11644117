using System.Globalization;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Kube.Core.Resources;

namespace Kube.ApiServer.Tables;

/// <summary>
/// The table columns of storage, networking, RBAC, policy and other cluster kinds, as kubectl 1.32 prints them
/// (upstream's printers: <c>kubectl get pv</c> shows CAPACITY, ACCESS MODES, RECLAIM POLICY, STATUS, CLAIM …).
/// </summary>
internal sealed partial class TableConvertor
{
    private static readonly Column CreatedAtColumn = new("Created At", "date", "CreationTimestamp is a timestamp representing the server time when this object was created.");
    private static readonly Column VolumeAttributesClassColumn = new("VolumeAttributesClass", "string", "VolumeAttributesClass of the volume.");

    /// <summary>The columns of the kinds this file prints; null for the others.</summary>
    private static List<Column>? ClusterColumnsFor(ResourceType t) => (t.Group, t.Kind) switch
    {
        ("", "PersistentVolume") =>
        [
            NameColumn,
            new("Capacity", "string", "capacity is the description of the persistent volume's resources and capacity."),
            new("Access Modes", "string", "accessModes contains all ways the volume can be mounted."),
            new("Reclaim Policy", "string", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
            new("Status", "string", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
            new("Claim", "string", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
            new("StorageClass", "string", "storageClassName is the name of StorageClass to which this persistent volume belongs."),
            VolumeAttributesClassColumn,
            new("Reason", "string", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
            AgeColumn,
            new("VolumeMode", "string", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", 1),
        ],
        ("", "PersistentVolumeClaim") =>
        [
            NameColumn,
            new("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
            new("Volume", "string", "volumeName is the binding reference to the PersistentVolume backing this claim."),
            new("Capacity", "string", "capacity represents the actual resources of the underlying volume."),
            new("Access Modes", "string", "accessModes contains the desired access modes the volume should have."),
            new("StorageClass", "string", "storageClassName is the name of the StorageClass required by the claim."),
            VolumeAttributesClassColumn,
            AgeColumn,
            new("VolumeMode", "string", "volumeMode defines what type of volume is required by the claim.", 1),
        ],
        ("storage.k8s.io", "StorageClass") =>
        [
            NameColumn,
            new("Provisioner", "string", "provisioner indicates the type of the provisioner."),
            new("ReclaimPolicy", "string", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class."),
            new("VolumeBindingMode", "string", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound."),
            new("AllowVolumeExpansion", "string", "allowVolumeExpansion shows whether the storage class allow volume expand."),
            AgeColumn,
        ],
        ("storage.k8s.io", "CSIDriver") =>
        [
            NameColumn,
            new("AttachRequired", "boolean", "attachRequired indicates this CSI volume driver requires an attach operation."),
            new("PodInfoOnMount", "boolean", "podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations."),
            new("StorageCapacity", "boolean", "storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity."),
            new("TokenRequests", "string", "tokenRequests indicates the CSI driver needs pods' service account tokens it is mounting volume for to do necessary authentication."),
            new("RequiresRepublish", "boolean", "requiresRepublish indicates the CSI driver wants NodePublishVolume being periodically called."),
            new("Modes", "string", "volumeLifecycleModes defines what kind of volumes this CSI volume driver supports."),
            AgeColumn,
        ],
        ("networking.k8s.io", "Ingress") =>
        [
            NameColumn,
            new("Class", "string", "The name of the IngressClass resource that should be used for ingress."),
            new("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
            new("Address", "string", "Address is a list containing ingress points for the load-balancer"),
            new("Ports", "string", "Ports of TLS configurations that open"),
            AgeColumn,
        ],
        ("networking.k8s.io", "IngressClass") =>
        [
            NameColumn,
            new("Controller", "string", "Controller that is responsible for handling this class"),
            new("Parameters", "string", "A reference to a resource with additional parameters"),
            AgeColumn,
        ],
        ("networking.k8s.io", "NetworkPolicy") =>
        [
            NameColumn,
            new("Pod-Selector", "string", "podSelector selects the pods to which this NetworkPolicy object applies."),
            AgeColumn,
        ],
        ("", "Endpoints") => [NameColumn, new("Endpoints", "string", "Endpoints of the service"), AgeColumn],
        ("discovery.k8s.io", "EndpointSlice") =>
        [
            NameColumn,
            new("AddressType", "string", "addressType specifies the type of address carried by this EndpointSlice."),
            new("Ports", "string", "ports specifies the list of network ports exposed by each endpoint in this slice."),
            new("Endpoints", "string", "endpoints is a list of unique endpoints in this slice."),
            AgeColumn,
        ],
        ("rbac.authorization.k8s.io", "Role" or "ClusterRole") => [NameColumn, CreatedAtColumn],
        ("rbac.authorization.k8s.io", "RoleBinding" or "ClusterRoleBinding") =>
        [
            NameColumn,
            new("Role", "string", "Role to which this binding refers"),
            AgeColumn,
            new("Users", "string", "Users in the binding", 1),
            new("Groups", "string", "Groups in the binding", 1),
            new("ServiceAccounts", "string", "ServiceAccounts in the binding", 1),
        ],
        ("policy", "PodDisruptionBudget") =>
        [
            NameColumn,
            new("Min Available", "string", "The minimum number of pods that must be available."),
            new("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
            new("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
            AgeColumn,
        ],
        ("scheduling.k8s.io", "PriorityClass") =>
        [
            NameColumn,
            new("Value", "integer", "value is the integer value of this priority class."),
            new("Global-Default", "boolean", "globalDefault specifies whether this PriorityClass should be considered as the default priority."),
            AgeColumn,
            new("PreemptionPolicy", "string", "preemptionPolicy is the Policy for preempting pods with lower priority."),
        ],
        ("", "ResourceQuota") =>
        [
            NameColumn,
            AgeColumn,
            new("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
            new("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
        ],
        ("", "LimitRange") => [NameColumn, CreatedAtColumn],
        ("apps", "ControllerRevision") =>
        [
            NameColumn,
            new("Controller", "string", "Controller of the object"),
            new("Revision", "integer", "Revision of the ControllerRevision"),
            AgeColumn,
        ],
        ("apiextensions.k8s.io", "CustomResourceDefinition") => [NameColumn, CreatedAtColumn],
        _ => null,
    };

    /// <summary>The cells of the kinds <see cref="ClusterColumnsFor"/> knows; null for the others.</summary>
    private IEnumerable<JsonNode?>? ClusterCells(ResourceType t, JsonObject obj, string name, JsonObject? spec, JsonObject? status)
    {
        switch (t.Group, t.Kind)
        {
            case ("", "PersistentVolume"):
            {
                var claim = Json.Obj(spec, "claimRef");
                var phase = Json.Path(obj, "metadata", "deletionTimestamp") is not null ? "Terminating" : Json.Str(status, "phase") ?? "";
                return [name, Json.Str(Json.Obj(spec, "capacity"), "storage") ?? "", AccessModes(Json.Arr(spec, "accessModes")),
                    Json.Str(spec, "persistentVolumeReclaimPolicy") ?? "", phase,
                    claim is null ? "" : $"{Json.Str(claim, "namespace")}/{Json.Str(claim, "name")}",
                    StorageClassOf(obj, spec), Json.Str(spec, "volumeAttributesClassName") ?? "<unset>",
                    Json.Str(status, "reason") ?? "", Age(obj), Json.Str(spec, "volumeMode") ?? "<unset>"];
            }
            case ("", "PersistentVolumeClaim"):
            {
                var phase = Json.Path(obj, "metadata", "deletionTimestamp") is not null ? "Terminating" : Json.Str(status, "phase") ?? "";
                var bound = !string.IsNullOrEmpty(Json.Str(spec, "volumeName"));
                return [name, phase, Json.Str(spec, "volumeName") ?? "",
                    bound ? Json.Str(Json.Obj(status, "capacity"), "storage") ?? "" : "",
                    bound ? AccessModes(Json.Arr(status, "accessModes")) : "",
                    StorageClassOf(obj, spec), Json.Str(status, "currentVolumeAttributesClassName") ?? Json.Str(spec, "volumeAttributesClassName") ?? "<unset>",
                    Age(obj), Json.Str(spec, "volumeMode") ?? "<unset>"];
            }
            case ("storage.k8s.io", "StorageClass"):
            {
                var annotations = Json.Obj(Json.Metadata(obj), "annotations");
                var isDefault = Json.Str(annotations, "storageclass.kubernetes.io/is-default-class") == "true"
                    || Json.Str(annotations, "storageclass.beta.kubernetes.io/is-default-class") == "true";
                return [isDefault ? $"{name} (default)" : name, Json.Str(obj, "provisioner") ?? "",
                    Json.Str(obj, "reclaimPolicy") ?? "Delete", Json.Str(obj, "volumeBindingMode") ?? "Immediate",
                    Bool(obj["allowVolumeExpansion"]) ? "true" : "false", Age(obj)];
            }
            case ("storage.k8s.io", "CSIDriver"):
            {
                var tokens = Json.Arr(spec, "tokenRequests")?.OfType<JsonObject>().Select(r => Json.Str(r, "audience") ?? "").ToList();
                var modes = Json.Arr(spec, "volumeLifecycleModes")?.Select(Json.Str).ToList();
                return [name, spec?["attachRequired"] is null || Bool(spec["attachRequired"]), Bool(spec?["podInfoOnMount"]),
                    Bool(spec?["storageCapacity"]), tokens is { Count: > 0 } ? string.Join(",", tokens) : "<unset>",
                    Bool(spec?["requiresRepublish"]), modes is { Count: > 0 } ? string.Join(",", modes) : "Persistent", Age(obj)];
            }
            case ("networking.k8s.io", "Ingress"):
            {
                var hosts = Json.Arr(spec, "rules")?.OfType<JsonObject>().Select(r => Json.Str(r, "host")).Where(h => !string.IsNullOrEmpty(h)).ToList() ?? [];
                var addresses = LoadBalancerAddresses(status);
                return [name, Json.Str(spec, "ingressClassName") ?? "<none>", hosts.Count == 0 ? "*" : string.Join(",", hosts),
                    addresses, Json.Arr(spec, "tls") is { Count: > 0 } ? "80, 443" : "80", Age(obj)];
            }
            case ("networking.k8s.io", "IngressClass"):
            {
                var parameters = Json.Obj(spec, "parameters");
                var text = parameters is null ? "<none>"
                    : $"{Json.Str(parameters, "kind")}.{Json.Str(parameters, "apiGroup") ?? ""}/{Json.Str(parameters, "name")}".Replace("./", "/", StringComparison.Ordinal);
                return [name, Json.Str(spec, "controller") ?? "", text, Age(obj)];
            }
            case ("networking.k8s.io", "NetworkPolicy"):
            {
                var selector = SelectorText(Json.Obj(spec, "podSelector"));
                return [name, selector == "<none>" ? "<none>" : selector, Age(obj)];
            }
            case ("", "Endpoints"):
            {
                var list = new List<string>();
                foreach (var subset in Json.Arr(obj, "subsets")?.OfType<JsonObject>() ?? [])
                {
                    var ports = Json.Arr(subset, "ports")?.OfType<JsonObject>().Select(p => Json.Long(p["port"])).ToList() ?? [];
                    foreach (var address in Json.Arr(subset, "addresses")?.OfType<JsonObject>() ?? [])
                    {
                        var ip = Json.Str(address, "ip") ?? "";
                        if (ports.Count == 0) list.Add(ip);
                        else list.AddRange(ports.Select(p => $"{ip}:{p}"));
                    }
                }
                return [name, FirstThree(list), Age(obj)];
            }
            case ("discovery.k8s.io", "EndpointSlice"):
            {
                var ports = Json.Arr(obj, "ports")?.OfType<JsonObject>().Select(p => Json.Long(p["port"])?.ToString(CultureInfo.InvariantCulture) ?? "<unset>").ToList() ?? [];
                var addresses = Json.Arr(obj, "endpoints")?.OfType<JsonObject>()
                    .SelectMany(e => Json.Arr(e, "addresses")?.Select(Json.Str) ?? []).Select(a => a ?? "").ToList() ?? [];
                return [name, Json.Str(obj, "addressType") ?? "", ports.Count == 0 ? "<unset>" : FirstThree(ports), FirstThree(addresses), Age(obj)];
            }
            case ("rbac.authorization.k8s.io", "Role" or "ClusterRole"):
                return [name, CreatedAt(obj)];
            case ("rbac.authorization.k8s.io", "RoleBinding" or "ClusterRoleBinding"):
            {
                var roleRef = Json.Obj(obj, "roleRef");
                var subjects = Json.Arr(obj, "subjects")?.OfType<JsonObject>().ToList() ?? [];
                string Of(string kind) => string.Join(", ", subjects.Where(s => Json.Str(s, "kind") == kind)
                    .Select(s => kind == "ServiceAccount" ? $"{Json.Str(s, "namespace")}/{Json.Str(s, "name")}" : Json.Str(s, "name")));
                return [name, $"{Json.Str(roleRef, "kind")}/{Json.Str(roleRef, "name")}", Age(obj), Of("User"), Of("Group"), Of("ServiceAccount")];
            }
            case ("policy", "PodDisruptionBudget"):
                return [name, IntOrString(spec?["minAvailable"]) ?? "N/A", IntOrString(spec?["maxUnavailable"]) ?? "N/A",
                    Json.Long(status?["disruptionsAllowed"]) ?? 0, Age(obj)];
            case ("scheduling.k8s.io", "PriorityClass"):
                return [name, Json.Long(obj["value"]) ?? 0, Bool(obj["globalDefault"]), Age(obj), Json.Str(obj, "preemptionPolicy") ?? "PreemptLowerPriority"];
            case ("", "ResourceQuota"):
            {
                var hard = Json.Obj(status, "hard") ?? Json.Obj(spec, "hard");
                var used = Json.Obj(status, "used");
                var requests = new List<string>();
                var limits = new List<string>();
                foreach (var (resource, value) in (hard ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    var text = $"{resource}: {Json.Str(used, resource) ?? "0"}/{Json.Str(value)}";
                    (resource.StartsWith("limits.", StringComparison.Ordinal) ? limits : requests).Add(text);
                }
                return [name, Age(obj), string.Join(", ", requests), string.Join(", ", limits)];
            }
            case ("", "LimitRange"):
            case ("apiextensions.k8s.io", "CustomResourceDefinition"):
                return [name, CreatedAt(obj)];
            case ("apps", "ControllerRevision"):
            {
                var owner = Json.Arr(Json.Metadata(obj), "ownerReferences")?.OfType<JsonObject>()
                    .FirstOrDefault(o => o["controller"] is JsonValue v && v.TryGetValue<bool>(out var c) && c);
                var controller = "<none>";
                if (owner is not null)
                {
                    var apiVersion = Json.Str(owner, "apiVersion") ?? "";
                    var group = apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";
                    var kind = (Json.Str(owner, "kind") ?? "").ToLowerInvariant();
                    controller = $"{(group.Length == 0 ? kind : kind + "." + group)}/{Json.Str(owner, "name")}";
                }
                return [name, controller, Json.Long(obj["revision"]) ?? 0, Age(obj)];
            }
            default:
                return null;
        }
    }

    /// <summary>kubectl's access-mode abbreviations, in upstream's fixed order: RWO, ROX, RWX, RWOP.</summary>
    private static string AccessModes(JsonArray? modes)
    {
        var present = modes?.Select(Json.Str).ToHashSet() ?? [];
        var parts = new List<string>();
        if (present.Contains("ReadWriteOnce")) parts.Add("RWO");
        if (present.Contains("ReadOnlyMany")) parts.Add("ROX");
        if (present.Contains("ReadWriteMany")) parts.Add("RWX");
        if (present.Contains("ReadWriteOncePod")) parts.Add("RWOP");
        return string.Join(",", parts);
    }

    /// <summary>spec.storageClassName, or the beta annotation older objects carry.</summary>
    private static string StorageClassOf(JsonObject obj, JsonObject? spec) =>
        Json.Str(spec, "storageClassName")
        ?? Json.Str(Json.Obj(Json.Metadata(obj), "annotations"), "volume.beta.kubernetes.io/storage-class")
        ?? "";

    private static string LoadBalancerAddresses(JsonObject? status)
    {
        var ingress = Json.Arr(Json.Obj(status, "loadBalancer"), "ingress")?.OfType<JsonObject>()
            .Select(i => Json.Str(i, "ip") ?? Json.Str(i, "hostname")).Where(a => !string.IsNullOrEmpty(a)).ToList() ?? [];
        return string.Join(",", ingress);
    }

    /// <summary>Up to three entries, then "+ N more...", as kubectl abbreviates endpoint lists; "&lt;none&gt;" when empty.</summary>
    private static string FirstThree(List<string> items) =>
        items.Count == 0 ? "<none>"
        : items.Count <= 3 ? string.Join(",", items)
        : $"{string.Join(",", items.Take(3))} + {items.Count - 3} more...";

    private static string? IntOrString(JsonNode? node) => node is null ? null : Json.Long(node)?.ToString(CultureInfo.InvariantCulture) ?? Json.Str(node);

    private static bool Bool(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    /// <summary>The CREATED AT cell: the creation time in RFC 3339, as kubectl prints Roles and CRDs.</summary>
    private static string CreatedAt(JsonObject obj) =>
        Json.ParseTime(Json.Path(obj, "metadata", "creationTimestamp")) is { } t
            ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : "<unknown>";
}
