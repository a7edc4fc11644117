using k8s;
using k8s.Models;

namespace Kube.Networking.EndpointSlices;

/// <summary>
/// The pure part of the EndpointSlice controller: from a Service, the pods in its namespace and its current slices,
/// computes the slices to create, update and delete. Endpoints are grouped by their resolved port list (named
/// targetPorts resolve per pod), sorted by pod name, and chunked into slices of at most <c>maxPerSlice</c>.
/// </summary>
internal static class EndpointSliceBuilder
{
    public static EndpointSlicePlan Plan(V1Service service, IEnumerable<V1Pod> pods, IReadOnlyList<V1EndpointSlice> existing, int maxPerSlice)
    {
        var selector = service.Spec?.Selector;
        if (selector is null || selector.Count == 0)
        {
            return new EndpointSlicePlan([], [], existing);
        }

        // Group endpoints by their port list.
        var groups = new SortedDictionary<string, (List<Discoveryv1EndpointPort> Ports, List<V1Endpoint> Endpoints)>(StringComparer.Ordinal);
        foreach (var pod in pods.Where(p => Selects(selector, p)).OrderBy(p => p.Metadata.Name, StringComparer.Ordinal))
        {
            if (string.IsNullOrEmpty(pod.Status?.PodIP) || pod.Status.Phase is "Succeeded" or "Failed")
            {
                continue;
            }

            var ports = ResolvePorts(service, pod);
            var key = PortKey(ports);
            if (!groups.TryGetValue(key, out var group))
            {
                group = (ports, []);
                groups[key] = group;
            }

            group.Endpoints.Add(ToEndpoint(service, pod));
        }

        if (groups.Count == 0)
        {
            // A selector with no endpoints still gets one (empty) slice carrying the Service's ports.
            var ports = ResolvePorts(service, null);
            groups[PortKey(ports)] = (ports, []);
        }

        var desired = new List<(string Key, List<Discoveryv1EndpointPort> Ports, List<V1Endpoint> Endpoints)>();
        foreach (var (key, group) in groups)
        {
            if (group.Endpoints.Count == 0)
            {
                desired.Add((key, group.Ports, []));
            }

            for (var i = 0; i < group.Endpoints.Count; i += maxPerSlice)
            {
                desired.Add((key, group.Ports, group.Endpoints.Skip(i).Take(maxPerSlice).ToList()));
            }
        }

        // Reuse existing slices with the same port list (in name order), create the rest, delete what is left.
        var pool = existing.OrderBy(s => s.Metadata.Name, StringComparer.Ordinal)
            .GroupBy(s => PortKey(s.Ports ?? []))
            .ToDictionary(g => g.Key, g => new Queue<V1EndpointSlice>(g));
        var create = new List<V1EndpointSlice>();
        var update = new List<V1EndpointSlice>();
        foreach (var (key, ports, endpoints) in desired)
        {
            if (pool.TryGetValue(key, out var queue) && queue.Count > 0)
            {
                var current = queue.Dequeue();
                var next = Build(service, ports, endpoints, current);
                if (!SameContent(current, next))
                {
                    update.Add(next);
                }
            }
            else
            {
                create.Add(Build(service, ports, endpoints, null));
            }
        }

        var delete = pool.Values.SelectMany(q => q).ToList();
        return new EndpointSlicePlan(create, update, delete);
    }

    /// <summary>Whether a Service selector (a map of required labels) selects the pod.</summary>
    public static bool Selects(IDictionary<string, string> selector, V1Pod pod)
    {
        var labels = pod.Metadata?.Labels;
        return selector.Count > 0 && labels is not null && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }

    private static List<Discoveryv1EndpointPort> ResolvePorts(V1Service service, V1Pod? pod)
    {
        var result = new List<Discoveryv1EndpointPort>();
        foreach (var sp in service.Spec?.Ports ?? [])
        {
            int? port;
            var target = sp.TargetPort;
            if (target is null || string.IsNullOrEmpty(target.Value))
            {
                port = sp.Port;
            }
            else if (int.TryParse(target.Value, out var number))
            {
                port = number;
            }
            else
            {
                port = pod?.Spec?.Containers?
                    .SelectMany(c => c.Ports ?? [])
                    .FirstOrDefault(cp => cp.Name == target.Value && (cp.Protocol ?? "TCP") == (sp.Protocol ?? "TCP"))?.ContainerPort;
                if (port is null && pod is not null)
                {
                    continue;
                }
            }

            result.Add(new Discoveryv1EndpointPort { Name = sp.Name ?? "", Port = port, Protocol = sp.Protocol ?? "TCP", AppProtocol = sp.AppProtocol });
        }

        return result;
    }

    private static string PortKey(IEnumerable<Discoveryv1EndpointPort> ports) =>
        string.Join(',', ports.Select(p => $"{p.Name}/{p.Protocol ?? "TCP"}/{p.Port}").OrderBy(s => s, StringComparer.Ordinal));

    private static V1Endpoint ToEndpoint(V1Service service, V1Pod pod)
    {
        // publishNotReadyAddresses: every endpoint counts as ready (headless Services of StatefulSets use it).
        var ready = service.Spec?.PublishNotReadyAddresses == true
            || pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
        var terminating = pod.Metadata.DeletionTimestamp is not null;
        return new V1Endpoint
        {
            Addresses = [pod.Status!.PodIP],
            Hostname = !string.IsNullOrEmpty(pod.Spec?.Hostname) && pod.Spec.Subdomain == service.Metadata.Name ? pod.Spec.Hostname : null,
            Conditions = new V1EndpointConditions { Ready = ready && !terminating, Serving = ready, Terminating = terminating },
            NodeName = pod.Spec?.NodeName,
            TargetRef = new V1ObjectReference { Kind = "Pod", Name = pod.Metadata.Name, NamespaceProperty = pod.Metadata.NamespaceProperty, Uid = pod.Metadata.Uid },
        };
    }

    private static V1EndpointSlice Build(V1Service service, List<Discoveryv1EndpointPort> ports, List<V1Endpoint> endpoints, V1EndpointSlice? current)
    {
        var labels = new Dictionary<string, string>(service.Metadata.Labels ?? new Dictionary<string, string>())
        {
            [EndpointSliceLabels.ServiceName] = service.Metadata.Name,
            [EndpointSliceLabels.ManagedBy] = EndpointSliceLabels.ControllerName,
        };
        var meta = current is null
            ? new V1ObjectMeta { GenerateName = GenerateName(service.Metadata.Name), NamespaceProperty = service.Metadata.NamespaceProperty }
            : KubernetesJson.Deserialize<V1ObjectMeta>(KubernetesJson.Serialize(current.Metadata));
        meta.Labels = labels;
        meta.OwnerReferences =
        [
            new V1OwnerReference
            {
                ApiVersion = "v1", Kind = "Service", Name = service.Metadata.Name, Uid = service.Metadata.Uid,
                Controller = true, BlockOwnerDeletion = true,
            },
        ];
        return new V1EndpointSlice
        {
            ApiVersion = "discovery.k8s.io/v1",
            Kind = "EndpointSlice",
            Metadata = meta,
            AddressType = "IPv4",
            Endpoints = endpoints,
            Ports = ports,
        };
    }

    private static string GenerateName(string service) => (service.Length > 57 ? service[..57] : service) + "-";

    private static bool SameContent(V1EndpointSlice a, V1EndpointSlice b) =>
        KubernetesJson.Serialize(new object?[] { a.Endpoints ?? [], a.Ports ?? [], a.AddressType, Sorted(a.Metadata.Labels), a.Metadata.OwnerReferences?.FirstOrDefault()?.Uid })
        == KubernetesJson.Serialize(new object?[] { b.Endpoints ?? [], b.Ports ?? [], b.AddressType, Sorted(b.Metadata.Labels), b.Metadata.OwnerReferences?.FirstOrDefault()?.Uid });

    private static SortedDictionary<string, string> Sorted(IDictionary<string, string>? labels) => new(labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
}
