using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's PodSecurity admission: the namespace labels <c>pod-security.kubernetes.io/enforce</c> and <c>warn</c>
/// (levels privileged, baseline, restricted; versions are treated as latest) decide which Pod Security Standards a
/// pod must meet. Enforce refuses with 403 <c>violates PodSecurity "restricted:latest": ...</c>; warn adds a warning.
/// The audit label is read but, without an audit log, not acted on. Needs a client that can read namespaces.
/// </summary>
public sealed class PodSecurityAdmission(IKubeClient client) : IAdmissionPlugin, IUsesAdmissionLister
{
    private AdmissionLister? _lister;

    void IUsesAdmissionLister.SetLister(AdmissionLister lister) => _lister = lister;

    public const string EnforceLabel = "pod-security.kubernetes.io/enforce";
    public const string WarnLabel = "pod-security.kubernetes.io/warn";

    private static readonly HashSet<string> BaselineCapabilities =
        ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];

    private static readonly HashSet<string> RestrictedVolumeTypes =
        ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    private static readonly HashSet<string> SafeSysctls =
        ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
         "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"];

    public string Name => "PodSecurity";

    public bool IsMutating => false;

    public bool Handles(AdmissionRequest request) =>
        // As upstream: the pod itself and pods/ephemeralcontainers (kubectl debug), whose containers are checked like the others.
        request.Resource.Group == "" && request.Resource.Plural == "pods" && request.Subresource is null or "ephemeralcontainers"
        && request.Operation is AdmissionOperation.Create or AdmissionOperation.Update && request.Object is not null;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Namespace is null || request.Object is null) return;
        V1Namespace? ns;
        try
        {
            ns = await _lister.GetOrLiveAsync<V1Namespace>(client, request.Namespace, null, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException)
        {
            return;
        }
        if (ns is null) return;
        var labels = ns.Metadata.Labels ?? new Dictionary<string, string>();
        var enforce = labels.TryGetValue(EnforceLabel, out var e) ? e : "privileged";
        var warn = labels.TryGetValue(WarnLabel, out var w) ? w : "privileged";
        if (enforce != "privileged")
        {
            var violations = Check(request.Object, enforce);
            if (violations.Count > 0)
            {
                var name = request.Name ?? request.Object["metadata"]?["name"]?.GetValue<string>() ?? "";
                throw new KubeApiException(new V1Status
                {
                    ApiVersion = "v1", Kind = "Status", Status = "Failure", Code = 403, Reason = "Forbidden",
                    Message = $"pods \"{name}\" is forbidden: violates PodSecurity \"{enforce}:latest\": {string.Join(", ", violations)}",
                    Details = new V1StatusDetails { Name = name, Kind = "pods" },
                });
            }
        }
        if (warn != "privileged")
        {
            var violations = Check(request.Object, warn);
            if (violations.Count > 0) request.Warnings.Add($"would violate PodSecurity \"{warn}:latest\": {string.Join(", ", violations)}");
        }
    }

    /// <summary>The violated checks of <paramref name="level"/> (baseline or restricted), in upstream's wording.</summary>
    public static List<string> Check(JsonObject pod, string level)
    {
        var v = new List<string>();
        if (level is not ("baseline" or "restricted")) return v;
        var spec = pod["spec"] as JsonObject ?? new JsonObject();
        var psc = spec["securityContext"] as JsonObject;
        var containers = new List<JsonObject>();
        foreach (var key in new[] { "initContainers", "containers", "ephemeralContainers" })
            if (spec[key] is JsonArray arr) containers.AddRange(arr.OfType<JsonObject>());
        static string CName(JsonObject c) => c["name"]?.GetValue<string>() ?? "";
        static bool B(JsonNode? n) => n is JsonValue jv && jv.TryGetValue<bool>(out var b) && b;
        static string Names(IReadOnlyList<string> names, string one, string many) =>
            names.Count == 1 ? $"{one} \"{names[0]}\"" : $"{many} {string.Join(", ", names.Select(n => $"\"{n}\""))}";

        // ---- baseline
        var hostNs = new[] { "hostNetwork", "hostPID", "hostIPC" }.Where(k => B(spec[k])).Select(k => $"{k}=true").ToList();
        if (hostNs.Count > 0) v.Add($"host namespaces ({string.Join(", ", hostNs)})");
        var privileged = containers.Where(c => B(c["securityContext"]?["privileged"])).Select(CName).ToList();
        if (privileged.Count > 0) v.Add($"privileged ({Names(privileged, "container", "containers")} must not set securityContext.privileged=true)");
        var addedCaps = new SortedSet<string>(StringComparer.Ordinal);
        var capContainers = new List<string>();
        foreach (var c in containers)
        {
            var add = (c["securityContext"]?["capabilities"]?["add"] as JsonArray)?.Select(x => x?.GetValue<string>() ?? "").Where(x => !BaselineCapabilities.Contains(x)).ToList() ?? [];
            if (add.Count == 0) continue;
            capContainers.Add(CName(c));
            foreach (var a in add) addedCaps.Add(a);
        }
        if (capContainers.Count > 0)
            v.Add($"non-default capabilities ({Names(capContainers, "container", "containers")} must not include {string.Join(", ", addedCaps.Select(a => $"\"{a}\""))} in securityContext.capabilities.add)");
        var volumes = (spec["volumes"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var hostPaths = volumes.Where(x => x["hostPath"] is not null).Select(x => x["name"]?.GetValue<string>() ?? "").ToList();
        if (hostPaths.Count > 0) v.Add($"hostPath volumes ({Names(hostPaths, "volume", "volumes")})");
        var hostPortContainers = new List<string>();
        var hostPorts = new SortedSet<long>();
        foreach (var c in containers)
        {
            var ports = (c["ports"] as JsonArray)?.OfType<JsonObject>().Select(p => p["hostPort"] is JsonValue hp && hp.TryGetValue<long>(out var n) ? n : 0).Where(n => n != 0).ToList() ?? [];
            if (ports.Count == 0) continue;
            hostPortContainers.Add(CName(c));
            foreach (var p in ports) hostPorts.Add(p);
        }
        if (hostPortContainers.Count > 0)
            v.Add($"hostPort ({Names(hostPortContainers, "container", "containers")} uses {(hostPorts.Count == 1 ? "hostPort" : "hostPorts")} {string.Join(", ", hostPorts)})");
        var procMount = containers.Where(c => c["securityContext"]?["procMount"]?.GetValue<string>() is { } pm && pm != "Default").Select(CName).ToList();
        if (procMount.Count > 0) v.Add($"procMount ({Names(procMount, "container", "containers")} must not set securityContext.procMount to \"Unmasked\")");
        string? Seccomp(JsonNode? sc) => sc?["seccompProfile"]?["type"]?.GetValue<string>();
        var unconfined = Seccomp(psc) == "Unconfined" || containers.Any(c => Seccomp(c["securityContext"]) == "Unconfined");
        if (unconfined) v.Add("seccompProfile (pod or containers must not set securityContext.seccompProfile.type to \"Unconfined\")");
        var sysctls = (psc?["sysctls"] as JsonArray)?.OfType<JsonObject>().Select(s => s["name"]?.GetValue<string>() ?? "").Where(s => !SafeSysctls.Contains(s)).ToList() ?? [];
        if (sysctls.Count > 0) v.Add($"forbidden sysctls ({string.Join(", ", sysctls)})");
        if (level == "baseline") return v;

        // ---- restricted
        var badVolumes = volumes.Select(x => (Name: x["name"]?.GetValue<string>() ?? "", Type: x.Select(kv => kv.Key).FirstOrDefault(k => k != "name") ?? ""))
            .Where(x => !RestrictedVolumeTypes.Contains(x.Type)).ToList();
        if (badVolumes.Count > 0)
            v.Add(badVolumes.Count == 1
                ? $"restricted volume types (volume \"{badVolumes[0].Name}\" uses restricted volume type \"{badVolumes[0].Type}\")"
                : $"restricted volume types (volumes {string.Join(", ", badVolumes.Select(b => $"\"{b.Name}\""))} use restricted volume types {string.Join(", ", badVolumes.Select(b => b.Type).Distinct().Select(t => $"\"{t}\""))})");
        var regular = containers.Where(c => c != null).ToList();
        var escalation = regular.Where(c => !(c["securityContext"]?["allowPrivilegeEscalation"] is JsonValue ape && ape.TryGetValue<bool>(out var b) && !b)).Select(CName).ToList();
        if (escalation.Count > 0) v.Add($"allowPrivilegeEscalation != false ({Names(escalation, "container", "containers")} must set securityContext.allowPrivilegeEscalation=false)");
        var dropAll = regular.Where(c => (c["securityContext"]?["capabilities"]?["drop"] as JsonArray)?.Any(x => x?.GetValue<string>() == "ALL") != true).Select(CName).ToList();
        var addNonBind = regular.Where(c => (c["securityContext"]?["capabilities"]?["add"] as JsonArray)?.Any(x => x?.GetValue<string>() != "NET_BIND_SERVICE") == true).Select(CName).ToList();
        if (dropAll.Count > 0 || addNonBind.Count > 0)
        {
            var parts = new List<string>();
            if (dropAll.Count > 0) parts.Add($"{Names(dropAll, "container", "containers")} must set securityContext.capabilities.drop=[\"ALL\"]");
            if (addNonBind.Count > 0) parts.Add($"{Names(addNonBind, "container", "containers")} must not include capabilities other than \"NET_BIND_SERVICE\" in securityContext.capabilities.add");
            v.Add($"unrestricted capabilities ({string.Join("; ", parts)})");
        }
        bool? PodNonRoot = psc?["runAsNonRoot"] is JsonValue rnr && rnr.TryGetValue<bool>(out var pr) ? pr : null;
        var rootContainers = regular.Where(c =>
        {
            var cv = c["securityContext"]?["runAsNonRoot"] is JsonValue x && x.TryGetValue<bool>(out var cb) ? cb : (bool?)null;
            return (cv ?? PodNonRoot) != true;
        }).Select(CName).ToList();
        if (rootContainers.Count > 0)
            v.Add(PodNonRoot is null && rootContainers.Count == regular.Count
                ? "runAsNonRoot != true (pod or " + Names(rootContainers, "container", "containers") + " must set securityContext.runAsNonRoot=true)"
                : $"runAsNonRoot != true ({Names(rootContainers, "container", "containers")} must not set securityContext.runAsNonRoot=false)");
        var runAsRoot = (psc?["runAsUser"] is JsonValue pu && pu.TryGetValue<long>(out var puv) && puv == 0)
            || regular.Any(c => c["securityContext"]?["runAsUser"] is JsonValue cu && cu.TryGetValue<long>(out var cuv) && cuv == 0);
        if (runAsRoot) v.Add("runAsUser=0 (pod and containers must not set runAsUser=0)");
        var podSeccompOk = Seccomp(psc) is "RuntimeDefault" or "Localhost";
        var noSeccomp = regular.Where(c => Seccomp(c["securityContext"]) is { } t ? t is not ("RuntimeDefault" or "Localhost") : !podSeccompOk).Select(CName).ToList();
        if (noSeccomp.Count > 0)
            v.Add($"seccompProfile (pod or {Names(noSeccomp, "container", "containers")} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")");
        return v;
    }
}
