using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// An amount of compute resources: cpu in millicores, memory and ephemeral storage in bytes, a pod count, and
/// extended (scalar) resources such as <c>example.com/gpu</c> by name.
/// </summary>
public sealed class Resource
{
    /// <summary>The cpu upstream assumes for a container without a cpu request, for scoring: 100m.</summary>
    public const long DefaultMilliCpuRequest = 100;

    /// <summary>The memory upstream assumes for a container without a memory request, for scoring: 200 MiB.</summary>
    public const long DefaultMemoryRequest = 200 * 1024 * 1024;

    // Created on the first extended resource: most pods and nodes have none, and a NodeInfo copy (one per node a preemption
    // dry run or a nominated pod touches) copies two of these.
    private Dictionary<string, long>? _scalar;

    public long MilliCpu { get; set; }

    public long Memory { get; set; }

    public long EphemeralStorage { get; set; }

    public long AllowedPodNumber { get; set; }

    /// <summary>Extended resources (and hugepages), by name.</summary>
    public IReadOnlyDictionary<string, long> ScalarResources => (IReadOnlyDictionary<string, long>?)_scalar ?? System.Collections.ObjectModel.ReadOnlyDictionary<string, long>.Empty;

    public bool IsZero => MilliCpu == 0 && Memory == 0 && EphemeralStorage == 0 && (_scalar is null || _scalar.Values.All(v => v == 0));

    public void SetScalar(string name, long value) => Scalars()[name] = value;

    public long Scalar(string name) => _scalar is not null && _scalar.TryGetValue(name, out var v) ? v : 0;

    private Dictionary<string, long> Scalars() => _scalar ??= new Dictionary<string, long>(StringComparer.Ordinal);

    public void Add(Resource other)
    {
        ArgumentNullException.ThrowIfNull(other);
        MilliCpu += other.MilliCpu;
        Memory += other.Memory;
        EphemeralStorage += other.EphemeralStorage;
        AllowedPodNumber += other.AllowedPodNumber;
        if (other._scalar is null) return;
        foreach (var (k, v) in other._scalar) Scalars()[k] = Scalar(k) + v;
    }

    public void Subtract(Resource other)
    {
        ArgumentNullException.ThrowIfNull(other);
        MilliCpu -= other.MilliCpu;
        Memory -= other.Memory;
        EphemeralStorage -= other.EphemeralStorage;
        AllowedPodNumber -= other.AllowedPodNumber;
        if (other._scalar is null) return;
        foreach (var (k, v) in other._scalar) Scalars()[k] = Scalar(k) - v;
    }

    public Resource Clone()
    {
        var r = new Resource { MilliCpu = MilliCpu, Memory = Memory, EphemeralStorage = EphemeralStorage, AllowedPodNumber = AllowedPodNumber };
        if (_scalar is not null) r._scalar = new Dictionary<string, long>(_scalar, StringComparer.Ordinal);
        return r;
    }

    /// <summary>Reads a resource list (a node's allocatable, or a container's requests).</summary>
    public static Resource FromList(IDictionary<string, ResourceQuantity>? list)
    {
        var r = new Resource();
        if (list is null) return r;
        foreach (var (name, q) in list)
        {
            switch (name)
            {
                case "cpu":
                    r.MilliCpu += (long)Math.Ceiling(q.ToDecimal() * 1000m);
                    break;
                case "memory":
                    r.Memory += (long)Math.Ceiling(q.ToDecimal());
                    break;
                case "ephemeral-storage":
                    r.EphemeralStorage += (long)Math.Ceiling(q.ToDecimal());
                    break;
                case "pods":
                    r.AllowedPodNumber += (long)q.ToDecimal();
                    break;
                default:
                    if (IsScalar(name)) r.Scalars()[name] = r.Scalar(name) + (long)Math.Ceiling(q.ToDecimal());
                    break;
            }
        }

        return r;
    }

    /// <summary>
    /// A pod's effective request, as upstream computes it: the sum over containers, at least the largest init container,
    /// plus the pod overhead. With <paramref name="nonZero"/>, containers without a cpu or memory request count the defaults
    /// (<see cref="DefaultMilliCpuRequest"/>, <see cref="DefaultMemoryRequest"/>), as scoring does.
    /// </summary>
    public static Resource PodRequests(V1Pod pod, bool nonZero = false)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var sum = new Resource();
        foreach (var c in pod.Spec?.Containers ?? []) sum.Add(ContainerRequests(c, nonZero));
        foreach (var c in pod.Spec?.InitContainers ?? [])
        {
            var init = ContainerRequests(c, nonZero);
            sum.MilliCpu = Math.Max(sum.MilliCpu, init.MilliCpu);
            sum.Memory = Math.Max(sum.Memory, init.Memory);
            sum.EphemeralStorage = Math.Max(sum.EphemeralStorage, init.EphemeralStorage);
            if (init._scalar is not null)
                foreach (var (k, v) in init._scalar) sum.Scalars()[k] = Math.Max(sum.Scalar(k), v);
        }

        if (pod.Spec?.Overhead is { } overhead) sum.Add(FromList(overhead));
        return sum;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<V1Pod, Resource[]> RequestCache = new();

    /// <summary>
    /// <see cref="PodRequests"/>, computed once per pod object and shared: callers must not change the result. Pods from
    /// informers are never changed in place, so their requests never go stale.
    /// </summary>
    internal static Resource CachedPodRequests(V1Pod pod, bool nonZero = false)
    {
        var both = RequestCache.GetValue(pod, p => [PodRequests(p), PodRequests(p, nonZero: true)]);
        return nonZero ? both[1] : both[0];
    }

    private static Resource ContainerRequests(V1Container c, bool nonZero)
    {
        var r = FromList(c.Resources?.Requests);
        if (nonZero)
        {
            if (c.Resources?.Requests?.ContainsKey("cpu") != true) r.MilliCpu = DefaultMilliCpuRequest;
            if (c.Resources?.Requests?.ContainsKey("memory") != true) r.Memory = DefaultMemoryRequest;
        }

        return r;
    }

    /// <summary>Extended resources (domain-qualified names outside kubernetes.io) and hugepages.</summary>
    private static bool IsScalar(string name) =>
        name.StartsWith("hugepages-", StringComparison.Ordinal)
        || name.StartsWith("attachable-volumes-", StringComparison.Ordinal)
        || (name.Contains('/', StringComparison.Ordinal) && !name.StartsWith("kubernetes.io/", StringComparison.Ordinal));
}
