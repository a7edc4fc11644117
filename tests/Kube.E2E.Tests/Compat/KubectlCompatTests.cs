using System.Text.Json;
using System.Text.RegularExpressions;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests.Compat;

/// <summary>
/// Scripted kubectl 1.32 sessions against one <c>kube-host up</c> (issue 4, "Real-client tests").
/// Each test uses its own object names, so the tests share the cluster without seeing each other.
/// A test marked <c>[Ignore("known gap: …")]</c> asserts the upstream behaviour the server does not have yet.
/// </summary>
[TestClass]
public sealed partial class KubectlCompatTests
{
    private static readonly TimeSpan Rollout = TimeSpan.FromSeconds(120);
    private static KubectlHost? _cluster;

    private static KubectlHost Cluster => _cluster ?? throw new InvalidOperationException("the cluster did not start");

    private static Kubectl K => Cluster.Kubectl;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _) => _cluster = await KubectlHost.StartAsync("kubectl");

    [ClassCleanup]
    public static Task StopClusterAsync() => KubectlHost.StopAsync(_cluster);

    [TestInitialize]
    public void RequireKubectl() => Kubectl.RequireInstalled();

    /// <summary>A Deployment of <c>sleep SECONDS</c>; the durations used here (200000+) are unique to this class.</summary>
    private static string Deployment(string name, int replicas, string image, int seconds) => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: {{{name}}}, labels: {app: {{{name}}}}}
        spec:
          replicas: {{{replicas}}}
          selector: {matchLabels: {app: {{{name}}}}}
          template:
            metadata: {labels: {app: {{{name}}}}}
            spec:
              containers:
              - {name: main, image: "{{{image}}}", command: ["sleep", "{{{seconds}}}"]}
        """;

    private static string Pod(string name, int seconds) => $$$"""
        apiVersion: v1
        kind: Pod
        metadata: {name: {{{name}}}, labels: {app: {{{name}}}}}
        spec:
          containers:
          - {name: main, image: busybox, command: ["sleep", "{{{seconds}}}"]}
        """;

    private static string[] Rows(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task CreateRunningPodAsync(string name, int seconds)
    {
        await K.OkAsync($"create -f {await Cluster.WriteFileAsync(name + ".yaml", Pod(name, seconds))}");
        await K.OkAsync($"wait --for=condition=Ready pod/{name} --timeout=90s", timeout: Rollout);
    }

    // Commands with "-- CMD ARGS": Kubectl.RunAsync appends --cache-dir last, where it would become part of CMD's arguments.
    private static Task<string> OkCmdAsync(params string[] args) => OkCmdWithStdinAsync(null, args);

    private static async Task<string> OkCmdWithStdinAsync(string? stdin, params string[] args)
    {
        var r = await RunCmdAsync(stdin, args);
        Assert.AreEqual(0, r.ExitCode, $"kubectl {string.Join(' ', args)} failed:\n{r.Stdout}\n{r.Stderr}");
        return r.Stdout;
    }

    private static Task<KubectlResult> RunCmdAsync(string? stdin, params string[] args) =>
        KubectlStreaming.RunAsync(Cluster.Host.Kubeconfig, Cluster.CacheDir, args, TimeSpan.FromSeconds(90), stdin);

    // ---- discovery and OpenAPI ----

    [TestMethod]
    public async Task ApiResources_ListsBuiltInKinds_WithShortNamesAndGroups()
    {
        var output = await K.OkAsync("api-resources");
        var rows = Rows(output).Select(r => Regex.Split(r, @"\s+")).ToList();
        string[] Row(string name, string version) => rows.SingleOrDefault(r => r[0] == name && r.Contains(version))
            ?? throw new AssertFailedException($"no {name} ({version}) row in:\n{output}");
        CollectionAssert.AreEqual(new[] { "pods", "po", "v1", "true", "Pod" }, Row("pods", "v1"));
        CollectionAssert.AreEqual(new[] { "deployments", "deploy", "apps/v1", "true", "Deployment" }, Row("deployments", "apps/v1"));
        CollectionAssert.AreEqual(new[] { "namespaces", "ns", "v1", "false", "Namespace" }, Row("namespaces", "v1"));
        CollectionAssert.AreEqual(new[] { "services", "svc", "v1", "true", "Service" }, Row("services", "v1"));
        CollectionAssert.AreEqual(new[] { "customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition" },
            Row("customresourcedefinitions", "apiextensions.k8s.io/v1"));

        var apps = Rows(await K.OkAsync("api-resources --api-group=apps -o name"));
        CollectionAssert.IsSubsetOf(new[] { "deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps" }, apps);
    }

    [TestMethod]
    public async Task Explain_PodSpecContainers_ListsContainerFields()
    {
        var output = await K.OkAsync("explain pod.spec.containers");
        StringAssert.Matches(output, new Regex(@"KIND:\s+Pod"));
        StringAssert.Matches(output, new Regex(@"VERSION:\s+v1"));
        StringAssert.Matches(output, new Regex(@"FIELD:\s+containers\s+<\[\]"));
        foreach (var field in new[] { "image", "command", "args", "env", "ports", "resources" })
        {
            StringAssert.Matches(output, new Regex($@"(?m)^\s+{field}\s+<"), $"field {field} missing:\n{output}");
        }
    }

    // ---- create / apply / get ----

    [TestMethod]
    public async Task CreateFromFile_ThenGet_AsYamlJsonWideAndJsonpath()
    {
        await CreateRunningPodAsync("get-pod", 200001);

        var yaml = await K.OkAsync("get pod get-pod -o yaml");
        StringAssert.Contains(yaml, "kind: Pod");
        StringAssert.Contains(yaml, "name: get-pod");
        StringAssert.Contains(yaml, "restartPolicy: Always", "pod defaults are applied");
        StringAssert.Contains(yaml, "terminationGracePeriodSeconds: 30");
        StringAssert.Contains(yaml, "phase: Running");

        using var json = JsonDocument.Parse(await K.OkAsync("get pod get-pod -o json"));
        Assert.AreEqual("Pod", json.RootElement.GetProperty("kind").GetString());
        Assert.AreEqual("node-1", json.RootElement.GetProperty("spec").GetProperty("nodeName").GetString());
        Assert.AreEqual("200001", json.RootElement.GetProperty("spec").GetProperty("containers")[0].GetProperty("command")[1].GetString());

        var table = await K.OkAsync("get pods get-pod");
        CollectionAssert.AreEqual(new[] { "NAME", "READY", "STATUS", "RESTARTS", "AGE" }, Regex.Split(Rows(table)[0], @"\s+"));
        StringAssert.Matches(Rows(table)[1], new Regex(@"^get-pod\s+1/1\s+Running\s+0\s+\d+s$"));

        var wide = Rows(await K.OkAsync("get pods get-pod -o wide"));
        StringAssert.StartsWith(wide[0], "NAME");
        StringAssert.Matches(wide[0], new Regex(@"\bIP\s+NODE\b"));
        StringAssert.Matches(wide[1], new Regex(@"^get-pod\s+1/1\s+Running\s+0\s+\S+\s+127\.\d+\.\d+\.\d+\s+node-1\b"));

        var jsonpath = await K.OkAsync("get pod get-pod -o 'jsonpath={.metadata.name} {.spec.nodeName} {.status.phase}'");
        Assert.AreEqual("get-pod node-1 Running", jsonpath);

        var names = await K.OkAsync("get pods -l app=get-pod -o name");
        Assert.AreEqual("pod/get-pod", names.Trim());
    }

    [TestMethod]
    public async Task ApplyClientSide_Creates_ThenConfigures_ThenIsUnchanged()
    {
        var file = await Cluster.WriteFileAsync("apply-cs.yaml", Deployment("apply-cs", 1, "busybox:1", 200002));
        StringAssert.Contains(await K.OkAsync($"apply -f {file}"), "deployment.apps/apply-cs created");
        // Until the server retries conflicting patches (see CSharpClientCompatTests.Patch_Concurrent_WithoutResourceVersion_NeverConflicts),
        // a patch racing the deployment controller's status writes can get 409: let the rollout settle first.
        await K.OkAsync("rollout status deployment/apply-cs --timeout=90s", timeout: Rollout);
        var lastApplied = await K.OkAsync("get deploy apply-cs -o 'jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}'");
        StringAssert.Contains(lastApplied, "\"replicas\":1");

        await File.WriteAllTextAsync(file, Deployment("apply-cs", 2, "busybox:1", 200002));
        StringAssert.Contains(await K.OkAsync($"apply -f {file}"), "deployment.apps/apply-cs configured");
        Assert.AreEqual("2", await K.OkAsync("get deploy apply-cs -o 'jsonpath={.spec.replicas}'"));
        StringAssert.Contains(await K.OkAsync($"apply -f {file}"), "deployment.apps/apply-cs unchanged");
        await K.OkAsync("rollout status deployment/apply-cs --timeout=90s", timeout: Rollout);
    }

    [TestMethod]
    public async Task ApplyServerSide_Creates_Updates_AndReportsConflicts()
    {
        var file = await Cluster.WriteFileAsync("ssa.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: ssa-cm}
            data: {a: "1"}
            """);
        StringAssert.Contains(await K.OkAsync($"apply --server-side -f {file}"), "configmap/ssa-cm serverside-applied");
        var managers = await K.OkAsync("get cm ssa-cm --show-managed-fields -o 'jsonpath={.metadata.managedFields[*].manager}'");
        StringAssert.Contains(managers, "kubectl");

        await File.WriteAllTextAsync(file, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: ssa-cm}
            data: {a: "2"}
            """);
        var conflict = await K.RunAsync($"apply --server-side --field-manager=other -f {file}");
        Assert.AreNotEqual(0, conflict.ExitCode, "another manager changing an owned field conflicts");
        StringAssert.Contains(conflict.Stderr, "conflict");
        await K.OkAsync($"apply --server-side --field-manager=other --force-conflicts -f {file}");
        Assert.AreEqual("2", await K.OkAsync("get cm ssa-cm -o 'jsonpath={.data.a}'"));
    }

    [TestMethod]
    public async Task Diff_Replace_AndWaitForJsonpathAndDelete()
    {
        var file = await Cluster.WriteFileAsync("diff-cm.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: diff-cm}
            data: {a: "1"}
            """);
        await K.OkAsync($"apply -f {file}");
        var same = await K.RunAsync($"diff -f {file}");
        Assert.AreEqual(0, same.ExitCode, "no difference: " + same.Stdout + same.Stderr);
        Assert.AreEqual("", same.Stdout);

        await File.WriteAllTextAsync(file, (await File.ReadAllTextAsync(file)).Replace("\"1\"", "\"2\""));
        var changed = await K.RunAsync($"diff -f {file}");
        Assert.AreEqual(1, changed.ExitCode, "kubectl diff exits 1 when the server-side dry run differs: " + changed.Stderr);
        StringAssert.Matches(changed.Stdout, new Regex(@"(?m)^-\s+a: ""1""$"));
        StringAssert.Matches(changed.Stdout, new Regex(@"(?m)^\+\s+a: ""2""$"));
        Assert.AreEqual("1", await K.OkAsync("get cm diff-cm -o 'jsonpath={.data.a}'"), "diff changes nothing");

        StringAssert.Contains(await K.OkAsync($"replace -f {file}"), "configmap/diff-cm replaced");
        StringAssert.Contains(await K.OkAsync("wait --for=jsonpath={.data.a}=2 configmap/diff-cm --timeout=30s"), "condition met");
        await K.OkAsync("delete configmap diff-cm --wait=false");
        await K.OkAsync("wait --for=delete configmap/diff-cm --timeout=30s");
        Assert.AreEqual(1, (await K.RunAsync("get configmap diff-cm")).ExitCode);
    }

    [TestMethod]
    public async Task Errors_AlreadyExists_NotFound_StrictValidation_InvalidName()
    {
        var file = await Cluster.WriteFileAsync("err-cm.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: err-cm}
            data: {a: "1"}
            """);
        await K.OkAsync($"create -f {file}");
        var again = await K.RunAsync($"create -f {file}");
        Assert.AreEqual(1, again.ExitCode);
        StringAssert.Contains(again.Stderr, "Error from server (AlreadyExists)");
        StringAssert.Contains(again.Stderr, "configmaps \"err-cm\" already exists");

        var missing = await K.RunAsync("get configmap err-missing");
        Assert.AreEqual(1, missing.ExitCode);
        StringAssert.Contains(missing.Stderr, "Error from server (NotFound): configmaps \"err-missing\" not found");

        var unknown = await Cluster.WriteFileAsync("err-unknown.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: err-unknown}
            bogus: 1
            data: {a: "1"}
            """);
        foreach (var verb in new[] { "create", "apply" })
        {
            var strict = await K.RunAsync($"{verb} -f {unknown}");
            Assert.AreEqual(1, strict.ExitCode, $"{verb}: {strict.Stdout}");
            StringAssert.Contains(strict.Stderr, "unknown field \"bogus\"", verb);
        }
        Assert.AreEqual(1, (await K.RunAsync("get configmap err-unknown")).ExitCode, "nothing stored on a strict-decoding error");

        var invalid = await K.RunAsync("create configmap Err_Invalid");
        Assert.AreEqual(1, invalid.ExitCode);
        StringAssert.Contains(invalid.Stderr, "ConfigMap \"Err_Invalid\" is invalid: metadata.name: Invalid value: \"Err_Invalid\"");
    }

    [TestMethod]
    public async Task DryRunServer_ValidatesButStoresNothing()
    {
        StringAssert.Contains(await K.OkAsync("create configmap dry-cm --from-literal=a=b --dry-run=server"), "configmap/dry-cm created (server dry run)");
        var r = await K.RunAsync("get configmap dry-cm");
        Assert.AreEqual(1, r.ExitCode);
        StringAssert.Contains(r.Stderr, "not found");
    }

    // ---- watch ----

    [TestMethod]
    public async Task GetWatch_PrintsObjectsCreatedAndDeletedMeanwhile()
    {
        await K.OkAsync("create configmap watch-a");
        await K.OkAsync("label configmap watch-a compat-watch=yes");
        await using var watch = KubectlStreaming.Start(Cluster.Host.Kubeconfig, Cluster.CacheDir, ["get", "configmaps", "-l", "compat-watch=yes", "-w", "--output-watch-events"]);
        Assert.IsTrue(await watch.WaitForLineAsync(l => Regex.IsMatch(l, @"^ADDED\s+watch-a\s"), TimeSpan.FromSeconds(30)),
            $"initial list not printed:\n{watch.Stdout}\n{watch.Stderr}");

        await K.OkAsync("create configmap watch-b");
        await K.OkAsync("label configmap watch-b compat-watch=yes");
        Assert.IsTrue(await watch.WaitForLineAsync(l => Regex.IsMatch(l, @"^(ADDED|MODIFIED)\s+watch-b\s"), TimeSpan.FromSeconds(30)),
            $"no event for watch-b:\n{watch.Stdout}\n{watch.Stderr}");
        await K.OkAsync("delete configmap watch-b");
        Assert.IsTrue(await watch.WaitForLineAsync(l => Regex.IsMatch(l, @"^DELETED\s+watch-b\s"), TimeSpan.FromSeconds(30)),
            $"no DELETED event for watch-b:\n{watch.Stdout}\n{watch.Stderr}");
        Assert.IsFalse(watch.HasExited, "the watch keeps running:\n" + watch.Stderr);
    }

    [TestMethod]
    public async Task GetWatch_Pods_ShowsNewPodGoingToRunning()
    {
        await CreateRunningPodAsync("watch-first", 200003);
        await using var watch = KubectlStreaming.Start(Cluster.Host.Kubeconfig, Cluster.CacheDir, ["get", "pods", "-w"]);
        Assert.IsTrue(await watch.WaitForLineAsync(l => l.StartsWith("watch-first ", StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
            $"initial list not printed:\n{watch.Stdout}\n{watch.Stderr}");
        await OkCmdAsync("run", "watch-second", "--image=busybox", "--restart=Never", "--", "sleep", "200004");
        Assert.IsTrue(await watch.WaitForLineAsync(l => Regex.IsMatch(l, @"^watch-second\s+1/1\s+Running\s"), TimeSpan.FromSeconds(60)),
            $"watch-second never shown Running:\n{watch.Stdout}\n{watch.Stderr}");
    }

    [TestMethod]
    public async Task GetWatch_SingleObject_PrintsItThenEachChange()
    {
        await K.OkAsync("create configmap watch-one --from-literal=v=1");
        await using var watch = KubectlStreaming.Start(Cluster.Host.Kubeconfig, Cluster.CacheDir, ["get", "configmap", "watch-one", "-w", "-o", "jsonpath={.data.v}{\"\\n\"}"]);
        Assert.IsTrue(await watch.WaitForLineAsync(l => l == "1", TimeSpan.FromSeconds(30)), $"first state not printed:\n{watch.Stdout}\n{watch.Stderr}");
        await K.OkAsync("patch configmap watch-one --type=merge -p '{\"data\":{\"v\":\"2\"}}'");
        Assert.IsTrue(await watch.WaitForLineAsync(l => l == "2", TimeSpan.FromSeconds(30)), $"change not printed:\n{watch.Stdout}\n{watch.Stderr}");
    }

    [TestMethod]
    public async Task Get_ChunkSize_FieldSelector_SortBy_CustomColumns_AndDeleteBySelector()
    {
        await K.OkAsync("create namespace list-ns");
        // every namespace gets kube-root-ca.crt from the root-ca-cert-publisher, as upstream; wait so the lists are stable
        Assert.IsTrue(await Wait.UntilAsync(async () => (await K.RunAsync("get configmap kube-root-ca.crt -n list-ns")).ExitCode == 0, TimeSpan.FromSeconds(30)));
        foreach (var name in new[] { "c-b", "c-a", "c-c" })
        {
            await K.OkAsync($"create configmap {name} -n list-ns");
            await K.OkAsync($"label configmap {name} -n list-ns grp=x");
        }
        await K.OkAsync("create configmap other -n list-ns");
        var chunked = Rows(await K.OkAsync("get configmaps -n list-ns --chunk-size=1 -o name"));
        CollectionAssert.AreEquivalent(new[] { "configmap/c-a", "configmap/c-b", "configmap/c-c", "configmap/kube-root-ca.crt", "configmap/other" }, chunked);
        Assert.AreEqual("configmap/c-b", (await K.OkAsync("get configmaps -n list-ns --field-selector metadata.name=c-b -o name")).Trim());
        Assert.AreEqual("", (await K.OkAsync("get configmaps -n list-ns --field-selector metadata.name=nope -o name")).Trim());
        var sorted = Rows(await K.OkAsync("get configmaps -n list-ns -l grp=x --sort-by=.metadata.name -o custom-columns=NAME:.metadata.name,NS:.metadata.namespace --no-headers"));
        CollectionAssert.AreEqual(new[] { "c-a", "c-b", "c-c" }, sorted.Select(r => Regex.Split(r, @"\s+")[0]).ToArray());
        Assert.IsTrue(sorted.All(r => r.EndsWith("list-ns", StringComparison.Ordinal)), string.Join("\n", sorted));

        var deleted = await K.OkAsync("delete configmaps -n list-ns -l grp=x");
        Assert.AreEqual(3, Rows(deleted).Length, deleted);
        CollectionAssert.AreEquivalent(new[] { "configmap/kube-root-ca.crt", "configmap/other" }, Rows(await K.OkAsync("get configmaps -n list-ns -o name")));
    }

    // ---- describe ----

    [TestMethod]
    public async Task Describe_Pod_ShowsNodeStatusContainersAndEvents()
    {
        await CreateRunningPodAsync("desc-pod", 200005);
        var output = await K.OkAsync("describe pod desc-pod");
        StringAssert.Matches(output, new Regex(@"(?m)^Name:\s+desc-pod$"));
        StringAssert.Matches(output, new Regex(@"(?m)^Namespace:\s+default$"));
        StringAssert.Matches(output, new Regex(@"(?m)^Node:\s+node-1/"));
        StringAssert.Matches(output, new Regex(@"(?m)^Status:\s+Running$"));
        StringAssert.Matches(output, new Regex(@"(?m)^IP:\s+127\."));
        StringAssert.Matches(output, new Regex(@"(?m)^\s+State:\s+Running$"));
        StringAssert.Matches(output, new Regex(@"(?m)^\s+Ready\s+True\s*$"));
        StringAssert.Matches(output, new Regex(@"Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned default/desc-pod to node-1"));
    }

    [TestMethod]
    public async Task Describe_Deployment_ShowsReplicasConditionsAndNewReplicaSet()
    {
        await K.OkAsync($"create -f {await Cluster.WriteFileAsync("desc-deploy.yaml", Deployment("desc-deploy", 2, "busybox:1", 200006))}");
        await K.OkAsync("rollout status deployment/desc-deploy --timeout=90s", timeout: Rollout);
        var output = await K.OkAsync("describe deployment desc-deploy");
        StringAssert.Matches(output, new Regex(@"(?m)^Name:\s+desc-deploy$"));
        StringAssert.Matches(output, new Regex(@"(?m)^Selector:\s+app=desc-deploy$"));
        StringAssert.Matches(output, new Regex(@"(?m)^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$"));
        StringAssert.Matches(output, new Regex(@"(?m)^StrategyType:\s+RollingUpdate$"));
        StringAssert.Matches(output, new Regex(@"(?m)^\s+Available\s+True\s+MinimumReplicasAvailable$"));
        StringAssert.Matches(output, new Regex(@"(?m)^NewReplicaSet:\s+desc-deploy-[a-z0-9]+ \(2/2 replicas created\)$"));
    }

    [TestMethod]
    public async Task Describe_Node_ShowsConditionsAddressesAndCapacity()
    {
        var output = await K.OkAsync("describe node node-1");
        StringAssert.Matches(output, new Regex(@"(?m)^Name:\s+node-1$"));
        StringAssert.Matches(output, new Regex(@"(?m)^\s+Ready\s+True\s"));
        StringAssert.Matches(output, new Regex(@"(?m)^\s+InternalIP:\s+127\.0\.0\.1$"));
        StringAssert.Matches(output, new Regex(@"(?m)^Capacity:\s*$"));
        StringAssert.Matches(output, new Regex(@"(?m)^\s+pods:\s+\d+$"));
    }
}
