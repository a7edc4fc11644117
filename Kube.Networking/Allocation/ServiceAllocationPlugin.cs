using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.Networking.Allocation;

/// <summary>
/// A mutating admission plugin that gives Services their ClusterIP and NodePorts. On create of a ClusterIP, NodePort or
/// LoadBalancer Service without a clusterIP it allocates one (Service default/kubernetes gets the reserved first IP);
/// "None" (headless) and ExternalName are left alone. A requested IP or NodePort that is outside the range or taken is
/// rejected with 422 Invalid naming the field. On update the ClusterIP is immutable and kept; new NodePorts are allocated.
/// </summary>
internal sealed class ServiceAllocationPlugin(ServiceAllocationState state, NetworkingMetrics? metrics = null) : IAdmissionPlugin
{
    public string Name => "ServiceIPAllocation";

    public bool IsMutating => true;

    public bool Handles(AdmissionRequest request) =>
        request.Resource.Group.Length == 0 && request.Resource.Plural == "services" && request.Subresource is null
        && request.Operation is AdmissionOperation.Create or AdmissionOperation.Update && request.Object is not null;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        try
        {
            await state.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException ex)
        {
            throw new KubeApiException(KubeApiException.NewStatus(500, "InternalError", $"the Service IP allocator could not list Services: {ex.Message}"), ex);
        }

        var obj = request.Object!;
        if (obj["spec"] is not JsonObject spec)
        {
            spec = [];
            obj["spec"] = spec;
        }

        var name = (obj["metadata"] as JsonObject)?["name"]?.GetValue<string>() ?? request.Name ?? "";
        var oldSpec = request.Operation == AdmissionOperation.Update ? request.OldObject?["spec"] as JsonObject : null;
        var ips = new List<string>();
        var ports = new List<int>();
        try
        {
            AdmitClusterIp(request, spec, oldSpec, name, ips);
            AdmitNodePorts(spec, oldSpec, name, ports);
        }
        catch
        {
            Release(ips, ports);
            metrics?.Rejected();
            throw;
        }

        if (request.DryRun)
        {
            Release(ips, ports);
        }
        else
        {
            metrics?.Allocated("clusterIP", ips.Count);
            metrics?.Allocated("nodePort", ports.Count);
        }
    }

    private void AdmitClusterIp(AdmissionRequest request, JsonObject spec, JsonObject? oldSpec, string name, List<string> allocated)
    {
        var type = Str(spec["type"]) ?? "ClusterIP";
        if (type == "ExternalName")
        {
            return;
        }

        var requested = Str(spec["clusterIP"]);
        if (string.IsNullOrEmpty(requested) && spec["clusterIPs"] is JsonArray { Count: > 0 } list)
        {
            requested = Str(list[0]);
        }

        var oldIp = oldSpec is null ? null : Str(oldSpec["clusterIP"]);
        if (oldSpec is not null && !string.IsNullOrEmpty(oldIp) && (Str(oldSpec["type"]) ?? "ClusterIP") != "ExternalName")
        {
            if (string.IsNullOrEmpty(requested))
            {
                spec["clusterIP"] = oldIp;
                spec["clusterIPs"] = oldSpec["clusterIPs"]?.DeepClone() ?? new JsonArray(oldIp);
                return;
            }

            if (requested != oldIp)
            {
                throw Invalid(name, requested, "field is immutable", "spec.clusterIPs[0]", "spec.clusterIP");
            }

            return;
        }

        if (requested == "None")
        {
            spec["clusterIP"] = "None";
            spec["clusterIPs"] ??= new JsonArray("None");
            return;
        }

        var isKubernetes = name == "kubernetes" && (request.Namespace ?? Str((request.Object!["metadata"] as JsonObject)?["namespace"])) == "default";
        var ips = state.ClusterIps;
        string ip;
        if (string.IsNullOrEmpty(requested))
        {
            if (isKubernetes && ips.Allocate(ips.ReservedIp, allowReserved: true) == AllocationResult.Allocated)
            {
                ip = ips.ReservedIp;
            }
            else
            {
                ip = ips.AllocateNext() ?? throw Invalid(name, "", $"failed to allocate a new IP: the service IP range {ips.Cidr} is full", "spec.clusterIPs", "spec.clusterIP");
            }
        }
        else
        {
            var result = ips.Allocate(requested, allowReserved: isKubernetes);
            if (result != AllocationResult.Allocated)
            {
                throw Invalid(name, requested, result switch
                {
                    AllocationResult.OutOfRange => $"failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range. The range of valid IPs is {ips.Cidr}",
                    AllocationResult.AlreadyAllocated => $"failed to allocate IP {requested}: provided IP is already allocated",
                    AllocationResult.Reserved => $"failed to allocate IP {requested}: the IP is reserved for Service default/kubernetes",
                    _ => "must be a valid IPv4 address, (e.g. 10.9.8.7) or \"None\"",
                }, "spec.clusterIPs[0]", "spec.clusterIP");
            }

            ip = requested;
        }

        allocated.Add(ip);
        spec["clusterIP"] = ip;
        spec["clusterIPs"] = new JsonArray(ip);
        spec["ipFamilies"] ??= new JsonArray("IPv4");
        spec["ipFamilyPolicy"] ??= "SingleStack";
    }

    private void AdmitNodePorts(JsonObject spec, JsonObject? oldSpec, string name, List<int> allocated)
    {
        var type = Str(spec["type"]) ?? "ClusterIP";
        if (type is not ("NodePort" or "LoadBalancer") || spec["ports"] is not JsonArray ports)
        {
            return;
        }

        var oldPorts = (oldSpec?["ports"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var oldNodePorts = oldPorts.Select(p => Int(p["nodePort"])).Where(p => p is > 0).Select(p => p!.Value).ToHashSet();
        var nodePorts = state.NodePorts;
        for (var i = 0; i < ports.Count; i++)
        {
            if (ports[i] is not JsonObject port)
            {
                continue;
            }

            var requested = Int(port["nodePort"]);
            if (requested is null or 0)
            {
                var previous = oldPorts.FirstOrDefault(p => Int(p["port"]) == Int(port["port"]) && (Str(p["protocol"]) ?? "TCP") == (Str(port["protocol"]) ?? "TCP"));
                if (previous is not null && Int(previous["nodePort"]) is > 0 and var kept)
                {
                    port["nodePort"] = kept;
                    continue;
                }

                var next = nodePorts.AllocateNext()
                    ?? throw Invalid(name, "", $"failed to allocate a new NodePort: the range {nodePorts.Min}-{nodePorts.Max} is full", $"spec.ports[{i}].nodePort");
                allocated.Add(next);
                port["nodePort"] = next;
            }
            else if (!oldNodePorts.Contains(requested.Value))
            {
                var result = nodePorts.Allocate(requested.Value);
                if (result != AllocationResult.Allocated)
                {
                    var value = requested.Value.ToString(CultureInfo.InvariantCulture);
                    throw Invalid(name, value, result == AllocationResult.OutOfRange
                        ? $"provided port is not in the valid range. The range of valid ports is {nodePorts.Min}-{nodePorts.Max}"
                        : "provided port is already allocated", $"spec.ports[{i}].nodePort");
                }

                allocated.Add(requested.Value);
            }
        }
    }

    private void Release(List<string> ips, List<int> ports)
    {
        foreach (var ip in ips)
        {
            state.ClusterIps.Release(ip);
        }

        foreach (var port in ports)
        {
            state.NodePorts.Release(port);
        }

        ips.Clear();
        ports.Clear();
    }

    /// <summary>422 Invalid for a Service, with one cause per named field.</summary>
    internal static InvalidException Invalid(string name, string value, string message, params string[] fields)
    {
        var causes = fields.Select(f => new V1StatusCause { Field = f, Reason = "FieldValueInvalid", Message = $"Invalid value: \"{value}\": {message}" }).ToList();
        var text = $"Service \"{name}\" is invalid: {string.Join(", ", fields.Select(f => $"{f}: Invalid value: \"{value}\": {message}"))}";
        return new InvalidException(KubeApiException.NewStatus(422, "Invalid", text, new V1StatusDetails { Name = name, Kind = "Service", Causes = causes }));
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static int? Int(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return null;
        }

        if (v.TryGetValue<int>(out var i))
        {
            return i;
        }

        if (v.TryGetValue<long>(out var l))
        {
            return (int)l;
        }

        if (v.TryGetValue<double>(out var d))
        {
            return (int)d;
        }

        if (v.TryGetValue<System.Text.Json.JsonElement>(out var e) && e.ValueKind == System.Text.Json.JsonValueKind.Number && e.TryGetInt32(out var n))
        {
            return n;
        }

        return null;
    }
}
