using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.ApiServer.Admission;

/// <summary>
/// Upstream's ServiceAccount admission for new pods: serviceAccountName defaults to <c>default</c> (which must exist:
/// 403 otherwise); unless automountServiceAccountToken is false (on the pod or the account), a projected volume
/// <c>kube-api-access-&lt;5&gt;</c> (a bound token for 3607 s, the kube-root-ca.crt ConfigMap's ca.crt, the namespace)
/// is added and mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every container.
/// </summary>
public sealed class ServiceAccountAdmission(IKubeClient client, TimeProvider? time = null) : IAdmissionPlugin, IUsesAdmissionLister
{
    private AdmissionLister? _lister;

    void IUsesAdmissionLister.SetLister(AdmissionLister lister) => _lister = lister;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public const string MountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    public string Name => "ServiceAccount";

    public bool IsMutating => true;

    public bool Handles(AdmissionRequest request) =>
        request.Operation == AdmissionOperation.Create && request.Resource.Group == "" && request.Resource.Plural == "pods" && request.Subresource is null;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Object?["spec"] is not JsonObject spec || request.Namespace is null) return;
        // mirror pods (static pods of a node) are left alone, as upstream
        if (request.Object["metadata"]?["annotations"]?["kubernetes.io/config.mirror"] is not null) return;
        var saName = spec["serviceAccountName"]?.GetValue<string>() is { Length: > 0 } n ? n : "default";
        spec["serviceAccountName"] = saName;
        var sa = await GetAsync(saName, request.Namespace, cancellationToken).ConfigureAwait(false);
        if (sa is null)
        {
            var pod = request.Name ?? request.Object["metadata"]?["name"]?.GetValue<string>() ?? "";
            throw new KubeApiException(new V1Status
            {
                ApiVersion = "v1", Kind = "Status", Status = "Failure", Code = 403, Reason = "Forbidden",
                Message = $"pods \"{pod}\" is forbidden: error looking up service account {request.Namespace}/{saName}: serviceaccount \"{saName}\" not found",
                Details = new V1StatusDetails { Name = pod, Kind = "pods" },
            });
        }
        var automount = spec["automountServiceAccountToken"] is JsonValue a && a.TryGetValue<bool>(out var ab) ? ab : sa.AutomountServiceAccountToken ?? true;
        if (!automount) return;
        var containers = new[] { "initContainers", "containers" }.SelectMany(k => (spec[k] as JsonArray)?.OfType<JsonObject>() ?? []).ToList();
        if (containers.Any(c => (c["volumeMounts"] as JsonArray)?.OfType<JsonObject>().Any(m => m["mountPath"]?.GetValue<string>() == MountPath) == true)) return;
        var volumes = spec["volumes"] as JsonArray ?? [];
        var volumeName = "kube-api-access-" + Suffix();
        volumes.Add(new JsonObject
        {
            ["name"] = volumeName,
            ["projected"] = new JsonObject
            {
                ["defaultMode"] = 420,
                ["sources"] = new JsonArray(
                    new JsonObject { ["serviceAccountToken"] = new JsonObject { ["expirationSeconds"] = 3607, ["path"] = "token" } },
                    new JsonObject { ["configMap"] = new JsonObject { ["name"] = "kube-root-ca.crt", ["items"] = new JsonArray(new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" }) } },
                    new JsonObject
                    {
                        ["downwardAPI"] = new JsonObject
                        {
                            ["items"] = new JsonArray(new JsonObject
                            {
                                ["path"] = "namespace",
                                ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" },
                            }),
                        },
                    }),
            },
        });
        spec["volumes"] = volumes;
        foreach (var c in containers)
        {
            var mounts = c["volumeMounts"] as JsonArray ?? [];
            mounts.Add(new JsonObject { ["name"] = volumeName, ["readOnly"] = true, ["mountPath"] = MountPath });
            c["volumeMounts"] = mounts;
        }
    }

    /// <summary>
    /// The account, or null when it does not exist. The default account is asked for up to 10 times, 100-200 ms apart,
    /// as upstream does: a pod created right after its namespace may be admitted before the controller made the account.
    /// </summary>
    private async Task<V1ServiceAccount?> GetAsync(string name, string ns, CancellationToken ct)
    {
        var attempts = name == "default" ? 10 : 1;
        var interval = TimeSpan.FromMilliseconds(100 + Random.Shared.Next(100));
        for (var i = 0; i < attempts; i++)
        {
            if (i > 0) await Task.Delay(interval, _time, ct).ConfigureAwait(false);
            // the first look is the lister's (live when it does not hold the account), the retries are live
            var sa = i == 0 ? await _lister.GetOrLiveAsync<V1ServiceAccount>(client, name, ns, ct).ConfigureAwait(false)
                : await AdmissionLister.LiveGetAsync<V1ServiceAccount>(client, name, ns, ct).ConfigureAwait(false);
            if (sa is not null) return sa;
        }
        return null;
    }

    private static string Suffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        Span<char> s = stackalloc char[5];
        for (var i = 0; i < s.Length; i++) s[i] = alphabet[Random.Shared.Next(alphabet.Length)];
        return new string(s);
    }
}
