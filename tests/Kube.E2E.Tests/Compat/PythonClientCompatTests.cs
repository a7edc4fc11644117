using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests.Compat;

/// <summary>
/// Debian's python3-kubernetes against one <c>kube-host up</c> (issue 4, "Real-client tests"): scripts written to a
/// temp file and run with the kubeconfig path as argument. Each script prints lines the test asserts on.
/// </summary>
[TestClass]
public sealed class PythonClientCompatTests
{
    private static KubeHostProcess? _host;
    private static string _dir = "";

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        if (await PythonKubernetes.InterpreterAsync() is null) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-python-").FullName;
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"));
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private const string Prelude = """
        import sys, threading
        from kubernetes import client, config, watch
        from kubernetes.client.rest import ApiException
        config.load_kube_config(sys.argv[1])
        v1 = client.CoreV1Api()
        apps = client.AppsV1Api()


        def wait_root_ca(ns):
            # the root-ca-cert-publisher gives every new namespace kube-root-ca.crt, shortly after it is created (as upstream)
            import time as _t
            for _ in range(300):
                try:
                    v1.read_namespaced_config_map("kube-root-ca.crt", ns)
                    return
                except ApiException:
                    _t.sleep(0.1)
            raise RuntimeError("kube-root-ca.crt never appeared in " + ns)

        """;

    /// <summary>Runs the script and returns its stdout lines; fails with stderr unless it exits 0.</summary>
    private static async Task<string[]> RunAsync(string script, int timeoutSeconds = 90)
    {
        await PythonKubernetes.RequireAsync();
        var r = await PythonKubernetes.RunAsync(_dir, Prelude + script, [_host!.Kubeconfig], TimeSpan.FromSeconds(timeoutSeconds));
        Assert.AreEqual(0, r.ExitCode, $"python failed:\n{r.Stdout}\n{r.Stderr}");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    [TestMethod]
    public async Task List_NodesNamespacesAndPods_WithSelectors()
    {
        var lines = await RunAsync("""
            print("nodes", ",".join(n.metadata.name for n in v1.list_node().items))
            print("namespaces", ",".join(sorted(n.metadata.name for n in v1.list_namespace().items)))
            v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py-list")))
            wait_root_ca("py-list")
            for i in range(3):
                v1.create_namespaced_config_map("py-list", client.V1ConfigMap(
                    metadata=client.V1ObjectMeta(name=f"c{i}", labels={"n": str(i)}), data={"i": str(i)}))
            print("all", ",".join(sorted(c.metadata.name for c in v1.list_namespaced_config_map("py-list").items)))
            print("label", ",".join(c.metadata.name for c in v1.list_namespaced_config_map("py-list", label_selector="n in (1,2)").items))
            print("field", ",".join(c.metadata.name for c in v1.list_namespaced_config_map("py-list", field_selector="metadata.name=c2").items))
            page = v1.list_namespaced_config_map("py-list", limit=2)
            rest = v1.list_namespaced_config_map("py-list", limit=2, _continue=page.metadata._continue)
            print("pages", len(page.items), len(rest.items), bool(page.metadata._continue), bool(rest.metadata._continue))
            print("pods", type(v1.list_pod_for_all_namespaces().items).__name__)
            try:
                v1.read_namespaced_config_map("missing", "py-list")
            except ApiException as e:
                print("missing", e.status, e.reason)
            """);
        CollectionAssert.Contains(lines, "nodes node-1");
        CollectionAssert.Contains(lines, "namespaces default,kube-node-lease,kube-public,kube-system");
        CollectionAssert.Contains(lines, "all c0,c1,c2,kube-root-ca.crt");
        CollectionAssert.Contains(lines, "label c1,c2");
        CollectionAssert.Contains(lines, "field c2");
        CollectionAssert.Contains(lines, "pages 2 2 True False");
        CollectionAssert.Contains(lines, "pods list");
        CollectionAssert.Contains(lines, "missing 404 Not Found");
    }

    [TestMethod]
    public async Task Create_Pod_AndDeployment_ThenRead()
    {
        var lines = await RunAsync("""
            v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py-create")))
            pod = client.V1Pod(metadata=client.V1ObjectMeta(name="pp", labels={"app": "pp"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="busybox", command=["sleep", "200201"])]))
            created = v1.create_namespaced_pod("py-create", pod)
            print("pod", created.metadata.name, created.spec.restart_policy, created.spec.termination_grace_period_seconds, bool(created.metadata.uid))
            dep = client.V1Deployment(metadata=client.V1ObjectMeta(name="pd"), spec=client.V1DeploymentSpec(
                replicas=1, selector=client.V1LabelSelector(match_labels={"app": "pd"}),
                template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels={"app": "pd"}),
                    spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="busybox:1", command=["sleep", "200202"])]))))
            d = apps.create_namespaced_deployment("py-create", dep)
            print("deployment", d.metadata.name, d.spec.strategy.type, d.spec.template.spec.containers[0].image)
            try:
                v1.create_namespaced_pod("py-create", pod)
            except ApiException as e:
                print("duplicate", e.status, "AlreadyExists" in e.body)
            print("read", v1.read_namespaced_pod("pp", "py-create").spec.containers[0].command[1])
            """);
        CollectionAssert.Contains(lines, "pod pp Always 30 True");
        CollectionAssert.Contains(lines, "deployment pd RollingUpdate busybox:1");
        CollectionAssert.Contains(lines, "duplicate 409 True");
        CollectionAssert.Contains(lines, "read 200201");
    }

    [TestMethod]
    public async Task Patch_Strategic_Merge_AndJson_AndScale()
    {
        var lines = await RunAsync("""
            v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py-patch")))
            v1.create_namespaced_config_map("py-patch", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="pc"), data={"a": "1", "b": "2"}))
            p = v1.patch_namespaced_config_map("pc", "py-patch", {"data": {"a": "10"}, "metadata": {"labels": {"x": "y"}}})
            print("dict", p.data["a"], p.data["b"], p.metadata.labels["x"])
            p = v1.patch_namespaced_config_map("pc", "py-patch", [{"op": "remove", "path": "/data/b"}])
            print("jsonpatch", sorted(p.data.keys()))
            dep = client.V1Deployment(metadata=client.V1ObjectMeta(name="sd"), spec=client.V1DeploymentSpec(
                replicas=1, selector=client.V1LabelSelector(match_labels={"app": "sd"}),
                template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels={"app": "sd"}),
                    spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="busybox:1", command=["sleep", "200203"])]))))
            apps.create_namespaced_deployment("py-patch", dep)
            # Let each rollout settle before the next patch: a patch racing the controller's status writes can get 409
            # (known gap, see CSharpClientCompatTests.Patch_Concurrent_WithoutResourceVersion_NeverConflicts).
            import time
            def settle(name, ns, replicas):
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline:
                    d = apps.read_namespaced_deployment(name, ns)
                    st = d.status
                    if st and st.observed_generation == d.metadata.generation and st.updated_replicas == replicas and st.available_replicas == replicas and st.replicas == replicas:
                        return
                    time.sleep(0.25)
                raise Exception(f"{name} did not settle: {d.status}")
            settle("sd", "py-patch", 1)
            d = apps.patch_namespaced_deployment("sd", "py-patch",
                {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "busybox:2"}]}}}})
            c = d.spec.template.spec.containers
            print("strategic", len(c), c[0].image, c[0].command[1])
            settle("sd", "py-patch", 1)
            s = apps.patch_namespaced_deployment_scale("sd", "py-patch", {"spec": {"replicas": 2}})
            print("scale", s.spec.replicas, apps.read_namespaced_deployment("sd", "py-patch").spec.replicas)
            """);
        CollectionAssert.Contains(lines, "dict 10 2 y");
        CollectionAssert.Contains(lines, "jsonpatch ['a']");
        CollectionAssert.Contains(lines, "strategic 1 busybox:2 200203", "the containers list is merged by name");
        CollectionAssert.Contains(lines, "scale 2 2");
    }

    [TestMethod]
    public async Task Watch_Stream_SeesEventsFromResourceVersion_AndEndsAtTimeout()
    {
        var lines = await RunAsync("""
            v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py-watch")))
            wait_root_ca("py-watch")
            rv = v1.list_namespaced_config_map("py-watch").metadata.resource_version
            v1.create_namespaced_config_map("py-watch", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="w1")))
            v1.patch_namespaced_config_map("w1", "py-watch", {"data": {"k": "v"}})
            v1.delete_namespaced_config_map("w1", "py-watch")
            w = watch.Watch()
            for ev in w.stream(v1.list_namespaced_config_map, "py-watch", resource_version=rv, timeout_seconds=20):
                print("event", ev["type"], ev["object"].metadata.name)
                if ev["type"] == "DELETED":
                    w.stop()
            print("stopped")

            # A watch with no events ends by itself after timeout_seconds.
            import time
            start = time.monotonic()
            n = sum(1 for _ in watch.Watch().stream(v1.list_namespaced_config_map, "py-watch", label_selector="none=here", timeout_seconds=2))
            print("timeout", n, 1.5 < time.monotonic() - start < 15)

            # A pod watched from the start: ADDED, then MODIFIED until Running.
            rv = v1.list_namespaced_pod("py-watch").metadata.resource_version
            v1.create_namespaced_pod("py-watch", client.V1Pod(metadata=client.V1ObjectMeta(name="wp"),
                spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="busybox", command=["sleep", "200204"])])))
            w = watch.Watch()
            types = []
            for ev in w.stream(v1.list_namespaced_pod, "py-watch", resource_version=rv, timeout_seconds=60):
                types.append(ev["type"])
                if ev["object"].status.phase == "Running":
                    w.stop()
            print("pod", types[0], all(t == "MODIFIED" for t in types[1:]), ev["object"].status.phase)
            """);
        var events = lines.Where(l => l.StartsWith("event ", StringComparison.Ordinal)).ToArray();
        CollectionAssert.AreEqual(new[] { "event ADDED w1", "event MODIFIED w1", "event DELETED w1" }, events);
        CollectionAssert.Contains(lines, "stopped");
        CollectionAssert.Contains(lines, "timeout 0 True");
        CollectionAssert.Contains(lines, "pod ADDED True Running");
    }
}
