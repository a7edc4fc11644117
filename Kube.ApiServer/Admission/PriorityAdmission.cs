using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's Priority admission plugin. The mutating half resolves a new pod's <c>spec.priorityClassName</c> (or the
/// globalDefault PriorityClass, else priority 0) into <c>spec.priority</c> and <c>spec.preemptionPolicy</c>, rejecting a
/// missing class or a contradicting priority/preemptionPolicy with 403; on pod update it keeps the stored values. The
/// validating half checks PriorityClasses: one globalDefault only (403), and, as upstream's PriorityClass validation
/// (422), the <c>system-</c> prefix is reserved for the built-in classes, user values are at most 1000000000, and
/// value and preemptionPolicy are immutable; the system classes cannot be deleted (403, upstream's
/// <c>this is a system priority class and cannot be deleted</c>).
/// </summary>
public sealed class PriorityAdmission(IKubeClient client, bool mutating) : IAdmissionPlugin, IUsesAdmissionLister
{
    private AdmissionLister? _lister;

    void IUsesAdmissionLister.SetLister(AdmissionLister lister) => _lister = lister;

    public const string SystemClusterCritical = "system-cluster-critical";
    public const string SystemNodeCritical = "system-node-critical";
    public const int SystemCriticalPriority = 2000000000;
    public const int HighestUserDefinablePriority = 1000000000;
    private const string SystemPrefix = "system-";
    private const string PreemptLowerPriority = "PreemptLowerPriority";

    public string Name => "Priority";

    public bool IsMutating => mutating;

    /// <summary>The built-in classes, as upstream's bootstrap creates them.</summary>
    public static IReadOnlyList<V1PriorityClass> SystemPriorityClasses() =>
    [
        SystemClass(SystemNodeCritical, SystemCriticalPriority + 1000, "Used for system critical pods that must not be moved from their current node."),
        SystemClass(SystemClusterCritical, SystemCriticalPriority, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ];

    private static V1PriorityClass SystemClass(string name, int value, string description) => new()
    {
        ApiVersion = "scheduling.k8s.io/v1",
        Kind = "PriorityClass",
        Metadata = new V1ObjectMeta { Name = name },
        Value = value,
        Description = description,
        PreemptionPolicy = PreemptLowerPriority,
        GlobalDefault = false,
    };

    public bool Handles(AdmissionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Subresource is not null) return false;
        return mutating
            ? request.Resource.Group == "" && request.Resource.Plural == "pods" && request.Operation is AdmissionOperation.Create or AdmissionOperation.Update
            : request.Resource.Group == "scheduling.k8s.io" && request.Resource.Plural == "priorityclasses"
              && request.Operation is AdmissionOperation.Create or AdmissionOperation.Update or AdmissionOperation.Delete;
    }

    public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!mutating && request.Operation == AdmissionOperation.Delete && request.Name is SystemNodeCritical or SystemClusterCritical)
        {
            // as upstream's PriorityClass storage: the system classes cannot be deleted, by anyone
            throw new KubeApiException(new V1Status
            {
                ApiVersion = "v1", Kind = "Status", Status = "Failure", Code = 403, Reason = "Forbidden",
                Message = $"priorityclasses.scheduling.k8s.io \"{request.Name}\" is forbidden: this is a system priority class and cannot be deleted",
                Details = new V1StatusDetails { Name = request.Name, Group = "scheduling.k8s.io", Kind = "priorityclasses" },
            });
        }
        if (request.Object is null) return ValueTask.CompletedTask;
        return mutating ? AdmitPodAsync(request, cancellationToken) : ValidatePriorityClassAsync(request, cancellationToken);
    }

    private async ValueTask AdmitPodAsync(AdmissionRequest request, CancellationToken ct)
    {
        if (request.Object!["spec"] is not JsonObject spec) return;
        if (request.Operation == AdmissionOperation.Update)
        {
            // the priority was set on create; keep it when an update leaves it out
            if (request.OldObject?["spec"] is JsonObject old)
            {
                if (spec["priority"] is null && old["priority"] is { } p) spec["priority"] = p.DeepClone();
                if (spec["preemptionPolicy"] is null && old["preemptionPolicy"] is { } pp) spec["preemptionPolicy"] = pp.DeepClone();
            }
            return;
        }

        var name = request.Object["metadata"]?["name"]?.GetValue<string>() ?? request.Name ?? "";
        var className = spec["priorityClassName"]?.GetValue<string>() ?? "";
        int priority;
        string? policy;
        if (className.Length == 0)
        {
            var def = DefaultClass(await ListAsync(ct).ConfigureAwait(false));
            if (def is null)
            {
                priority = 0;
                policy = PreemptLowerPriority;
            }
            else
            {
                spec["priorityClassName"] = def.Metadata.Name;
                priority = def.Value ?? 0;
                policy = def.PreemptionPolicy ?? PreemptLowerPriority;
            }
        }
        else
        {
            var pc = await GetAsync(className, ct).ConfigureAwait(false)
                ?? SystemPriorityClasses().FirstOrDefault(s => s.Metadata.Name == className)
                ?? throw Forbidden("pods", name, $"no PriorityClass with name {className} was found");
            priority = pc.Value ?? 0;
            policy = pc.PreemptionPolicy ?? PreemptLowerPriority;
        }

        if (spec["priority"] is JsonValue given && given.TryGetValue<long>(out var n) && n != priority)
            throw Forbidden("pods", name, string.Create(CultureInfo.InvariantCulture,
                $"the integer value of priority ({n}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name"));
        spec["priority"] = priority;
        if (policy is not null)
        {
            var givenPolicy = spec["preemptionPolicy"]?.GetValue<string>();
            if (givenPolicy is not null && givenPolicy != policy)
                throw Forbidden("pods", name,
                    $"the string value of PreemptionPolicy ({givenPolicy}) must not be provided in pod spec; priority admission controller computed {policy} from the given PriorityClass name");
            spec["preemptionPolicy"] = policy;
        }
    }

    private async ValueTask ValidatePriorityClassAsync(AdmissionRequest request, CancellationToken ct)
    {
        var obj = request.Object!;
        var name = obj["metadata"]?["name"]?.GetValue<string>() ?? request.Name ?? "";
        var value = obj["value"] is JsonValue v && v.TryGetValue<long>(out var l) ? l : 0;
        var globalDefault = obj["globalDefault"] is JsonValue g && g.TryGetValue<bool>(out var b) && b;

        var errors = new List<string>();
        if (name.StartsWith(SystemPrefix, StringComparison.Ordinal))
        {
            var known = SystemPriorityClasses().FirstOrDefault(s => s.Metadata.Name == name);
            string? why = known is null ? $"{name} is not a known system priority class"
                : value != known.Value ? $"value of {name} PriorityClass must be {known.Value}"
                : globalDefault ? $"globalDefault of {name} PriorityClass must be false"
                : null;
            if (why is not null)
                errors.Add($"metadata.name: Forbidden: priority class names with '{SystemPrefix}' prefix are reserved for system use only. error: {why}");
        }
        else if (value > HighestUserDefinablePriority)
        {
            errors.Add($"value: Forbidden: maximum allowed value of a user defined priority is {HighestUserDefinablePriority}");
        }
        if (request.Operation == AdmissionOperation.Update && request.OldObject is { } old)
        {
            var oldValue = old["value"] is JsonValue ov && ov.TryGetValue<long>(out var ol) ? ol : 0;
            if (oldValue != value) errors.Add("value: Forbidden: may not be changed in an update.");
            var oldPolicy = old["preemptionPolicy"]?.GetValue<string>() ?? PreemptLowerPriority;
            var newPolicy = obj["preemptionPolicy"]?.GetValue<string>() ?? PreemptLowerPriority;
            if (oldPolicy != newPolicy) errors.Add("preemptionPolicy: Forbidden: may not be changed in an update.");
        }
        if (errors.Count > 0)
        {
            throw new KubeApiException(new V1Status
            {
                ApiVersion = "v1", Kind = "Status", Status = "Failure", Code = 422, Reason = "Invalid",
                Message = errors.Count == 1
                    ? $"PriorityClass.scheduling.k8s.io \"{name}\" is invalid: {errors[0]}"
                    : $"PriorityClass.scheduling.k8s.io \"{name}\" is invalid: [{string.Join(", ", errors)}]",
                Details = new V1StatusDetails { Name = name, Group = "scheduling.k8s.io", Kind = "PriorityClass" },
            });
        }

        if (globalDefault)
        {
            var def = DefaultClass(await ListAsync(ct).ConfigureAwait(false));
            if (def is not null && (request.Operation == AdmissionOperation.Create || def.Metadata.Name != name))
                throw Forbidden("priorityclasses.scheduling.k8s.io", name, $"PriorityClass {def.Metadata.Name} is already marked as default. Only one default can exist");
        }
    }

    /// <summary>The globalDefault class; the lowest value when a race left several.</summary>
    private static V1PriorityClass? DefaultClass(IEnumerable<V1PriorityClass> classes) =>
        classes.Where(c => c.GlobalDefault == true).OrderBy(c => c.Value).ThenBy(c => c.Metadata.Name, StringComparer.Ordinal).FirstOrDefault();

    private Task<IReadOnlyList<V1PriorityClass>> ListAsync(CancellationToken ct) => _lister.ListOrLiveAsync<V1PriorityClass>(client, null, ct);

    private Task<V1PriorityClass?> GetAsync(string name, CancellationToken ct) => _lister.GetOrLiveAsync<V1PriorityClass>(client, name, null, ct);

    /// <summary>Creates the built-in PriorityClasses that do not exist yet, as upstream's API server does at start.</summary>
    public static async Task EnsureSystemPriorityClassesAsync(IKubeClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        foreach (var pc in SystemPriorityClasses())
        {
            try
            {
                await client.GetAsync<V1PriorityClass>(pc.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
                continue; // present: no write, so admission sees nothing on a restart
            }
            catch (NotFoundException)
            {
            }
            try
            {
                await client.CreateAsync(pc, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (KubeApiException e) when ((int)e.StatusCode == 409)
            {
            }
        }
    }

    private static KubeApiException Forbidden(string resource, string name, string message) => new(new V1Status
    {
        ApiVersion = "v1", Kind = "Status", Status = "Failure", Code = 403, Reason = "Forbidden",
        Message = $"{resource} \"{name}\" is forbidden: {message}",
        Details = new V1StatusDetails { Name = name, Kind = resource },
    });
}
