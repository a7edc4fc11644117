using System.Text.Json.Nodes;

namespace Kube.ApiServer.Tests.Kubectl;

/// <summary>
/// kubectl 1.32's imperative <c>create</c> subcommands send protobuf bodies; these run the real kubectl and read the
/// objects back with <c>kubectl get -o json</c> to check the decoded fields.
/// </summary>
[TestClass]
public sealed class KubectlCreateProtobufTests
{
    private static string Fmt(ToolResult r) => $"exit {r.ExitCode}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";

    private static async Task CreateAsync(KubectlRunner kubectl, params string[] args)
    {
        var r = await kubectl.RunArgsAsync(["create", .. args]);
        Assert.AreEqual(0, r.ExitCode, Fmt(r));
        Assert.IsFalse(r.Stderr.Contains("415", StringComparison.Ordinal), Fmt(r));
    }

    private static async Task<JsonNode> GetJsonAsync(KubectlRunner kubectl, params string[] args)
    {
        var r = await kubectl.RunArgsAsync(["get", .. args, "-o", "json"]);
        Assert.AreEqual(0, r.ExitCode, Fmt(r));
        return JsonNode.Parse(r.Stdout)!;
    }

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => n!.GetValue<string>()).ToArray();

    [TestMethod]
    public async Task KubectlProtobuf_CreateRoleAndClusterRole()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);

        await CreateAsync(kubectl, "role", "pod-reader", "--verb=get,list", "--resource=pods", "--resource-name=a", "--resource-name=b");
        var role = await GetJsonAsync(kubectl, "role", "pod-reader");
        Assert.AreEqual("Role", role["kind"]!.GetValue<string>());
        var rule = role["rules"]![0]!;
        CollectionAssert.AreEqual(new[] { "get", "list" }, Strings(rule["verbs"]));
        CollectionAssert.AreEqual(new[] { "pods" }, Strings(rule["resources"]));
        CollectionAssert.AreEqual(new[] { "" }, Strings(rule["apiGroups"]), "the core group is written as an empty string and kept");
        CollectionAssert.AreEqual(new[] { "a", "b" }, Strings(rule["resourceNames"]));

        await CreateAsync(kubectl, "clusterrole", "deploy-admin", "--verb=*", "--resource=deployments.apps,replicasets.apps");
        var cr = await GetJsonAsync(kubectl, "clusterrole", "deploy-admin");
        var crRule = cr["rules"]![0]!;
        CollectionAssert.AreEqual(new[] { "*" }, Strings(crRule["verbs"]));
        CollectionAssert.AreEqual(new[] { "apps" }, Strings(crRule["apiGroups"]));
        CollectionAssert.AreEquivalent(new[] { "deployments", "replicasets" }, Strings(crRule["resources"]));

        await CreateAsync(kubectl, "clusterrole", "healthz", "--verb=get", "--non-resource-url=/healthz");
        var nr = await GetJsonAsync(kubectl, "clusterrole", "healthz");
        CollectionAssert.AreEqual(new[] { "/healthz" }, Strings(nr["rules"]![0]!["nonResourceURLs"]));

        await CreateAsync(kubectl, "clusterrole", "monitoring", "--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true");
        var agg = await GetJsonAsync(kubectl, "clusterrole", "monitoring");
        Assert.AreEqual("true", agg["aggregationRule"]!["clusterRoleSelectors"]![0]!["matchLabels"]!["rbac.example.com/aggregate-to-monitoring"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task KubectlProtobuf_CreateRoleBindingAndClusterRoleBinding()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);

        await CreateAsync(kubectl, "role", "pod-reader", "--verb=get,list", "--resource=pods");
        await CreateAsync(kubectl, "rolebinding", "read-pods", "--role=pod-reader", "--user=alice", "--group=devs", "--serviceaccount=default:robot");
        var rb = await GetJsonAsync(kubectl, "rolebinding", "read-pods");
        Assert.AreEqual("rbac.authorization.k8s.io", rb["roleRef"]!["apiGroup"]!.GetValue<string>());
        Assert.AreEqual("Role", rb["roleRef"]!["kind"]!.GetValue<string>());
        Assert.AreEqual("pod-reader", rb["roleRef"]!["name"]!.GetValue<string>());
        var subjects = rb["subjects"]!.AsArray();
        Assert.AreEqual(3, subjects.Count, rb.ToJsonString());
        var user = subjects.Single(s => s!["kind"]!.GetValue<string>() == "User")!;
        Assert.AreEqual("alice", user["name"]!.GetValue<string>());
        Assert.AreEqual("rbac.authorization.k8s.io", user["apiGroup"]!.GetValue<string>());
        Assert.AreEqual("devs", subjects.Single(s => s!["kind"]!.GetValue<string>() == "Group")!["name"]!.GetValue<string>());
        var sa = subjects.Single(s => s!["kind"]!.GetValue<string>() == "ServiceAccount")!;
        Assert.AreEqual("robot", sa["name"]!.GetValue<string>());
        Assert.AreEqual("default", sa["namespace"]!.GetValue<string>());
        Assert.IsNull(sa["apiGroup"], "an empty apiGroup is absent, as in JSON");

        await CreateAsync(kubectl, "clusterrolebinding", "admins", "--clusterrole=cluster-admin", "--user=bob");
        var crb = await GetJsonAsync(kubectl, "clusterrolebinding", "admins");
        Assert.AreEqual("ClusterRole", crb["roleRef"]!["kind"]!.GetValue<string>());
        Assert.AreEqual("cluster-admin", crb["roleRef"]!["name"]!.GetValue<string>());
        Assert.AreEqual("bob", crb["subjects"]![0]!["name"]!.GetValue<string>());
        Assert.AreEqual("User", crb["subjects"]![0]!["kind"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task KubectlProtobuf_CreateQuota()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);

        await CreateAsync(kubectl, "quota", "q", "--hard=pods=2,requests.cpu=1,requests.memory=1Gi");
        var q = await GetJsonAsync(kubectl, "resourcequota", "q");
        var hard = q["spec"]!["hard"]!;
        Assert.AreEqual("2", hard["pods"]!.GetValue<string>());
        Assert.AreEqual("1", hard["requests.cpu"]!.GetValue<string>());
        Assert.AreEqual("1Gi", hard["requests.memory"]!.GetValue<string>());

        await CreateAsync(kubectl, "quota", "best-effort", "--hard=pods=5", "--scopes=BestEffort");
        var be = await GetJsonAsync(kubectl, "resourcequota", "best-effort");
        CollectionAssert.AreEqual(new[] { "BestEffort" }, Strings(be["spec"]!["scopes"]));
        Assert.AreEqual("5", be["spec"]!["hard"]!["pods"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task KubectlProtobuf_CreatePriorityClassAndPodDisruptionBudget()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);

        await CreateAsync(kubectl, "priorityclass", "high", "--value=1000", "--description=important", "--preemption-policy=Never");
        var pc = await GetJsonAsync(kubectl, "priorityclass", "high");
        Assert.AreEqual(1000, pc["value"]!.GetValue<int>());
        Assert.AreEqual("important", pc["description"]!.GetValue<string>());
        Assert.AreEqual("Never", pc["preemptionPolicy"]!.GetValue<string>());
        Assert.IsNull(pc["globalDefault"], "a false globalDefault is absent, as in JSON");

        await CreateAsync(kubectl, "priorityclass", "zero", "--value=0");
        var zero = await GetJsonAsync(kubectl, "priorityclass", "zero");
        Assert.AreEqual(0, zero["value"]!.GetValue<int>(), "value is not omitempty, so 0 is kept");

        await CreateAsync(kubectl, "pdb", "p", "--selector=app=x", "--min-available=1");
        var pdb = await GetJsonAsync(kubectl, "pdb", "p");
        Assert.AreEqual(1, pdb["spec"]!["minAvailable"]!.GetValue<int>());
        Assert.AreEqual("x", pdb["spec"]!["selector"]!["matchLabels"]!["app"]!.GetValue<string>());
        Assert.IsNull(pdb["spec"]!["maxUnavailable"]);

        await CreateAsync(kubectl, "pdb", "pct", "--selector=app=y", "--max-unavailable=50%");
        var pct = await GetJsonAsync(kubectl, "pdb", "pct");
        Assert.AreEqual("50%", pct["spec"]!["maxUnavailable"]!.GetValue<string>());
        Assert.IsNull(pct["spec"]!["minAvailable"]);
    }

    [TestMethod]
    public async Task KubectlProtobuf_CreateIngressAndServices()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);

        await CreateAsync(kubectl, "ingress", "web", "--class=nginx", "--rule=foo.com/bar=svc1:8080", "--rule=bar.com/*=svc2:http,tls=my-cert",
            "--default-backend=defsvc:80");
        var ing = await GetJsonAsync(kubectl, "ingress", "web");
        var spec = ing["spec"]!;
        Assert.AreEqual("nginx", spec["ingressClassName"]!.GetValue<string>());
        Assert.AreEqual("defsvc", spec["defaultBackend"]!["service"]!["name"]!.GetValue<string>());
        Assert.AreEqual(80, spec["defaultBackend"]!["service"]!["port"]!["number"]!.GetValue<int>());
        var rules = spec["rules"]!.AsArray();
        var foo = rules.Single(r => r!["host"]!.GetValue<string>() == "foo.com")!;
        var fooPath = foo["http"]!["paths"]![0]!;
        Assert.AreEqual("/bar", fooPath["path"]!.GetValue<string>());
        Assert.AreEqual("Exact", fooPath["pathType"]!.GetValue<string>());
        Assert.AreEqual("svc1", fooPath["backend"]!["service"]!["name"]!.GetValue<string>());
        Assert.AreEqual(8080, fooPath["backend"]!["service"]!["port"]!["number"]!.GetValue<int>());
        var barPath = rules.Single(r => r!["host"]!.GetValue<string>() == "bar.com")!["http"]!["paths"]![0]!;
        Assert.AreEqual("Prefix", barPath["pathType"]!.GetValue<string>());
        Assert.AreEqual("http", barPath["backend"]!["service"]!["port"]!["name"]!.GetValue<string>());
        Assert.IsNull(barPath["backend"]!["service"]!["port"]!["number"]);
        var tls = spec["tls"]![0]!;
        Assert.AreEqual("my-cert", tls["secretName"]!.GetValue<string>());
        CollectionAssert.AreEqual(new[] { "bar.com" }, Strings(tls["hosts"]));

        await CreateAsync(kubectl, "service", "clusterip", "api", "--tcp=80:8080");
        var svc = await GetJsonAsync(kubectl, "service", "api");
        Assert.AreEqual("ClusterIP", svc["spec"]!["type"]!.GetValue<string>());
        var port = svc["spec"]!["ports"]![0]!;
        Assert.AreEqual(80, port["port"]!.GetValue<int>());
        Assert.AreEqual(8080, port["targetPort"]!.GetValue<int>());
        Assert.AreEqual("TCP", port["protocol"]!.GetValue<string>());
        Assert.AreEqual("api", svc["spec"]!["selector"]!["app"]!.GetValue<string>());

        await CreateAsync(kubectl, "service", "nodeport", "np", "--tcp=443:8443", "--node-port=30443");
        var np = await GetJsonAsync(kubectl, "service", "np");
        Assert.AreEqual("NodePort", np["spec"]!["type"]!.GetValue<string>());
        Assert.AreEqual(30443, np["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>());

        await CreateAsync(kubectl, "service", "externalname", "ext", "--external-name=example.com");
        var ext = await GetJsonAsync(kubectl, "service", "ext");
        Assert.AreEqual("ExternalName", ext["spec"]!["type"]!.GetValue<string>());
        Assert.AreEqual("example.com", ext["spec"]!["externalName"]!.GetValue<string>());
    }
}
