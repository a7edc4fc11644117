using k8s.Models;
using Kube.Core.Client;

namespace Kube.ApiServer.Authorization;

/// <summary>
/// The bootstrap ClusterRoles and ClusterRoleBindings (upstream's plugin/pkg/auth/authorizer/rbac/bootstrappolicy,
/// trimmed to what this SDK's components use), reconciled at start: missing objects are created, existing ones are
/// brought back to the bootstrap rules and subjects unless annotated <c>rbac.authorization.kubernetes.io/autoupdate: "false"</c>.
/// </summary>
public static class BootstrapPolicy
{
    public const string AutoUpdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate";
    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] Write = ["create", "delete", "deletecollection", "patch", "update"];
    private static readonly string[] ReadWrite = [.. Read, .. Write];
    private static readonly string[] ReadUpdate = [.. Read, "update", "patch"];

    private static V1PolicyRule R(string[] verbs, string group, params string[] resources) =>
        new() { Verbs = verbs, ApiGroups = [group], Resources = resources };

    private static V1PolicyRule Urls(string[] verbs, params string[] urls) => new() { Verbs = verbs, NonResourceURLs = urls };

    private static V1PolicyRule[] ViewRules(string[] verbs) =>
    [
        R(verbs, "", "pods", "pods/status", "pods/log", "services", "services/status", "endpoints", "configmaps", "persistentvolumeclaims",
            "persistentvolumeclaims/status", "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status",
            "serviceaccounts", "events", "limitranges", "resourcequotas", "resourcequotas/status", "namespaces/status", "bindings"),
        R(verbs, "apps", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status",
            "statefulsets", "statefulsets/scale", "statefulsets/status", "daemonsets", "daemonsets/status", "controllerrevisions"),
        R(verbs, "batch", "jobs", "jobs/status", "cronjobs", "cronjobs/status"),
        R(verbs, "autoscaling", "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
        R(verbs, "policy", "poddisruptionbudgets", "poddisruptionbudgets/status"),
        R(verbs, "networking.k8s.io", "ingresses", "ingresses/status", "networkpolicies"),
        R(verbs, "discovery.k8s.io", "endpointslices"),
        R(verbs, "coordination.k8s.io", "leases"),
        R(verbs, "events.k8s.io", "events"),
    ];

    private static V1ClusterRole Role(string name, IEnumerable<V1PolicyRule> rules, Dictionary<string, string>? labels = null, string? aggregateFrom = null) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "ClusterRole",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string>(labels ?? []) { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
            Annotations = new Dictionary<string, string> { [AutoUpdateAnnotation] = "true" },
        },
        Rules = rules.ToList(),
        AggregationRule = aggregateFrom is null ? null : new V1AggregationRule
        {
            ClusterRoleSelectors = [new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [aggregateFrom] = "true" } }],
        },
    };

    private static V1ClusterRoleBinding Binding(string name, string role, params Rbacv1Subject[] subjects) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "ClusterRoleBinding",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string> { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
            Annotations = new Dictionary<string, string> { [AutoUpdateAnnotation] = "true" },
        },
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = role },
        Subjects = subjects,
    };

    private static Rbacv1Subject User(string name) => new() { Kind = "User", ApiGroup = "rbac.authorization.k8s.io", Name = name };

    private static Rbacv1Subject ServiceAccount(string ns, string name) => new() { Kind = "ServiceAccount", NamespaceProperty = ns, Name = name };

    private static Rbacv1Subject Group(string name) => new() { Kind = "Group", ApiGroup = "rbac.authorization.k8s.io", Name = name };

    /// <summary>The bootstrap ClusterRoles.</summary>
    public static IReadOnlyList<V1ClusterRole> ClusterRoles() =>
    [
        Role("cluster-admin", [R(["*"], "*", "*"), Urls(["*"], "*")]),
        Role("admin", [.. ViewRules(ReadWrite), R(ReadWrite, "", "secrets", "pods/exec", "pods/attach", "pods/portforward", "pods/eviction"),
                R(["impersonate"], "", "serviceaccounts"), R(["create"], "", "serviceaccounts/token"),
                R(ReadWrite, "rbac.authorization.k8s.io", "roles", "rolebindings"),
                R(["create"], "authorization.k8s.io", "localsubjectaccessreviews")],
            new() { ["rbac.authorization.k8s.io/aggregate-to-cluster-reader"] = "false" }, "rbac.authorization.k8s.io/aggregate-to-admin"),
        Role("edit", [.. ViewRules(ReadWrite), R(ReadWrite, "", "secrets", "pods/exec", "pods/attach", "pods/portforward", "pods/eviction"),
                R(["impersonate"], "", "serviceaccounts"), R(["create"], "", "serviceaccounts/token")],
            new() { ["rbac.authorization.k8s.io/aggregate-to-admin"] = "true" }, "rbac.authorization.k8s.io/aggregate-to-edit"),
        Role("view", ViewRules(Read), new() { ["rbac.authorization.k8s.io/aggregate-to-edit"] = "true" }, "rbac.authorization.k8s.io/aggregate-to-view"),
        Role("system:discovery", [Urls(["get"], "/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/version", "/version/", "/healthz", "/livez", "/readyz")]),
        Role("system:public-info-viewer", [Urls(["get"], "/healthz", "/livez", "/readyz", "/version", "/version/")]),
        Role("system:basic-user",
        [
            R(["create"], "authorization.k8s.io", "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
            R(["create"], "authentication.k8s.io", "selfsubjectreviews"),
        ]),
        Role("system:kube-scheduler",
        [
            R(["create", "patch", "update"], "", "events"), R(["create", "patch", "update"], "events.k8s.io", "events"),
            R(["create"], "coordination.k8s.io", "leases"), R(["get", "update"], "coordination.k8s.io", "leases"),
            R(Read, "", "nodes", "namespaces", "services", "replicationcontrollers", "persistentvolumeclaims", "persistentvolumes", "configmaps"),
            R([.. Read, "delete"], "", "pods"),
            R(["create"], "", "bindings", "pods/binding"),
            R(["patch", "update"], "", "pods/status"),
            R(Read, "apps", "replicasets", "statefulsets"),
            R(Read, "policy", "poddisruptionbudgets"),
            R(Read, "storage.k8s.io", "storageclasses", "csinodes", "csidrivers", "csistoragecapacities"),
            R(["create"], "authentication.k8s.io", "tokenreviews"),
            R(["create"], "authorization.k8s.io", "subjectaccessreviews"),
        ]),
        // the scheduler's VolumeBinding plugin binds PVs to PVCs (PreBind)
        Role("system:volume-scheduler",
        [
            R(ReadUpdate, "", "persistentvolumes"),
            R(Read, "storage.k8s.io", "storageclasses"),
            R(ReadUpdate, "", "persistentvolumeclaims"),
        ]),
        Role("system:kube-controller-manager",
        [
            // one identity runs every built-in controller here (upstream splits them into per-controller service accounts),
            // so this is the union of what those controllers write, plus reading everything
            R(Read, "*", "*"),
            R(ReadWrite, "", "pods", "pods/status", "endpoints", "events", "serviceaccounts", "serviceaccounts/token", "configmaps", "secrets",
                "persistentvolumeclaims", "persistentvolumeclaims/status", "persistentvolumes", "persistentvolumes/status",
                "replicationcontrollers", "replicationcontrollers/status", "services", "services/status", "resourcequotas/status",
                "nodes", "nodes/status", "namespaces", "namespaces/finalize", "namespaces/status", "pods/eviction"),
            R(ReadWrite, "apps", "*"), R(ReadWrite, "batch", "*"), R(ReadWrite, "autoscaling", "*"), R(ReadWrite, "policy", "*"),
            R(ReadWrite, "discovery.k8s.io", "endpointslices"), R(ReadWrite, "coordination.k8s.io", "leases"),
            R(ReadWrite, "events.k8s.io", "events"), R(ReadWrite, "networking.k8s.io", "ingresses/status"),
            R(ReadWrite, "certificates.k8s.io", "certificatesigningrequests", "certificatesigningrequests/status", "certificatesigningrequests/approval"),
            R(["create"], "authentication.k8s.io", "tokenreviews"),
            R(["create"], "authorization.k8s.io", "subjectaccessreviews"),
        ]),
        // upstream's per-controller role of the EndpointSlice controller; watch too, since here its informers use its own identity
        Role("system:controller:endpointslice-controller",
        [
            R(Read, "", "services", "pods", "nodes"),
            R(["update"], "", "services/finalizers"),
            R(["get", "list", "watch", "create", "update", "delete"], "discovery.k8s.io", "endpointslices"),
            R(["create", "update", "patch"], "", "events"), R(["create", "update", "patch"], "events.k8s.io", "events"),
        ]),
        // full access to the kubelet API (upstream's system:kubelet-api-admin), for the API server's kubelet client
        Role("system:kubelet-api-admin",
        [
            R(Read, "", "nodes"),
            R(["proxy"], "", "nodes"),
            R(["*"], "", "nodes/proxy", "nodes/metrics", "nodes/spec", "nodes/stats", "nodes/log"),
        ]),
        Role("system:node",
        [
            R(Read, "", "nodes", "pods", "services", "endpoints", "namespaces"),
            R(["create", "update", "patch", "delete"], "", "nodes", "nodes/status"),
            R(["patch", "update", "delete"], "", "pods", "pods/status"),
            R(["create", "patch", "update"], "", "events"),
            R(["get", "create", "update", "patch", "delete"], "coordination.k8s.io", "leases"),
            R(["create"], "authentication.k8s.io", "tokenreviews"),
            R(["create"], "authorization.k8s.io", "subjectaccessreviews", "localsubjectaccessreviews"),
        ]),
    ];

    /// <summary>The bootstrap ClusterRoleBindings (system:node is deliberately unbound: the Node authorizer covers nodes).</summary>
    public static IReadOnlyList<V1ClusterRoleBinding> ClusterRoleBindings() =>
    [
        Binding("cluster-admin", "cluster-admin", Group(RbacAuthorizer.SuperuserGroup)),
        Binding("system:discovery", "system:discovery", Group("system:authenticated")),
        Binding("system:basic-user", "system:basic-user", Group("system:authenticated")),
        Binding("system:public-info-viewer", "system:public-info-viewer", Group("system:authenticated"), Group("system:unauthenticated")),
        Binding("system:kube-scheduler", "system:kube-scheduler", User("system:kube-scheduler")),
        Binding("system:volume-scheduler", "system:volume-scheduler", User("system:kube-scheduler")),
        Binding("system:kube-controller-manager", "system:kube-controller-manager", User("system:kube-controller-manager")),
        Binding("system:controller:endpointslice-controller", "system:controller:endpointslice-controller", ServiceAccount("kube-system", "endpointslice-controller")),
        // the API server's client identity towards kubelets (kube-apiserver-kubelet-client; k3s binds its own the same way)
        Binding("kube-apiserver-kubelet-admin", "system:kubelet-api-admin", User(Security.ClusterPki.ApiServerKubeletClientUser)),
    ];

    /// <summary>Creates or updates the bootstrap policy through <paramref name="client"/> (which must be allowed to, e.g. system:masters).</summary>
    public static async Task ReconcileAsync(IKubeClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        foreach (var role in ClusterRoles())
        {
            await UpsertAsync(client, role, (existing, want) =>
            {
                existing.Rules = want.Rules;
                existing.AggregationRule = want.AggregationRule;
                existing.Metadata.Labels = Merge(existing.Metadata.Labels, want.Metadata.Labels);
            }, cancellationToken).ConfigureAwait(false);
        }
        foreach (var binding in ClusterRoleBindings())
        {
            await UpsertAsync(client, binding, (existing, want) =>
            {
                var subjects = existing.Subjects?.ToList() ?? [];
                foreach (var s in want.Subjects) if (!subjects.Any(x => x.Kind == s.Kind && x.Name == s.Name && x.NamespaceProperty == s.NamespaceProperty)) subjects.Add(s);
                existing.Subjects = subjects;
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, string> Merge(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        var d = new Dictionary<string, string>(a ?? new Dictionary<string, string>());
        foreach (var (k, v) in b ?? new Dictionary<string, string>()) d[k] = v;
        return d;
    }

    private static async Task UpsertAsync<T>(IKubeClient client, T want, Action<T, T> apply, CancellationToken ct)
        where T : class, k8s.IKubernetesObject<V1ObjectMeta>
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            T existing;
            try
            {
                existing = await client.GetAsync<T>(want.Metadata.Name, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (KubeApiException e) when ((int)e.StatusCode == 404)
            {
                try
                {
                    await client.CreateAsync(want, cancellationToken: ct).ConfigureAwait(false);
                    return;
                }
                catch (KubeApiException c) when ((int)c.StatusCode == 409)
                {
                    continue;
                }
            }
            if (existing.Metadata.Annotations?.TryGetValue(AutoUpdateAnnotation, out var auto) == true && auto == "false") return;
            var before = k8s.KubernetesJson.Serialize(existing);
            apply(existing, want);
            if (k8s.KubernetesJson.Serialize(existing) == before) return; // as upstream's reconciler: no write when nothing changed
            try
            {
                await client.UpdateAsync(existing, cancellationToken: ct).ConfigureAwait(false);
                return;
            }
            catch (KubeApiException c) when ((int)c.StatusCode == 409)
            {
            }
        }
    }
}
