using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests.Compat;

/// <summary>
/// The official C# client (KubernetesClient 21), typed and generic, against one <c>kube-host up</c>
/// (issue 4, "Real-client tests"). Each test works in its own namespace.
/// </summary>
[TestClass]
public sealed class CSharpClientCompatTests
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);
    private static KubeHostProcess? _host;
    private static Kubernetes? _client;
    private static string _dir = "";

    private static Kubernetes Client => _client!;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        _dir = Directory.CreateTempSubdirectory("kube-e2e-csharp-").FullName;
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"));
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_host.Kubeconfig));
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        _client?.Dispose();
        if (_host is not null) await _host.DisposeAsync();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private const string RootCa = "kube-root-ca.crt";

    private static async Task<string> NamespaceAsync(string name)
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        // The root-ca-cert-publisher gives every new namespace kube-root-ca.crt shortly after it is created (as upstream);
        // waiting for it keeps the lists below deterministic.
        var published = await Wait.UntilAsync(async () =>
        {
            try
            {
                await Client.CoreV1.ReadNamespacedConfigMapAsync(RootCa, name);
                return true;
            }
            catch (HttpOperationException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30));
        Assert.IsTrue(published, $"{RootCa} never appeared in {name}");
        return name;
    }

    private static V1ConfigMap ConfigMap(string name, IDictionary<string, string>? data = null, IDictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Data = data,
    };

    private static V1Deployment Deployment(string name, int replicas, int seconds) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    Containers = [new V1Container { Name = "main", Image = "busybox:1", Command = ["sleep", seconds.ToString()] }],
                },
            },
        },
    };

    private static V1Pod Pod(string name, int seconds, string? label = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = label ?? name } },
        Spec = new V1PodSpec
        {
            Containers = [new V1Container { Name = "main", Image = "busybox", Command = ["sleep", seconds.ToString()] }],
        },
    };

    private static async Task<HttpOperationException> ThrowsHttpAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (HttpOperationException e)
        {
            return e;
        }
        throw new AssertFailedException("expected an HttpOperationException");
    }

    // ---- typed CRUD ----

    [TestMethod]
    public async Task Typed_ConfigMap_CreateReadReplaceDelete_WithOptimisticConcurrency()
    {
        var ns = await NamespaceAsync("cs-crud");
        var created = await Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("crud", new Dictionary<string, string> { ["a"] = "1" }), ns);
        Assert.IsFalse(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.IsFalse(string.IsNullOrEmpty(created.Metadata.ResourceVersion));
        Assert.IsNotNull(created.Metadata.CreationTimestamp);

        var read = await Client.CoreV1.ReadNamespacedConfigMapAsync("crud", ns);
        Assert.AreEqual("1", read.Data["a"]);
        Assert.AreEqual(created.Metadata.ResourceVersion, read.Metadata.ResourceVersion);

        read.Data["a"] = "2";
        var replaced = await Client.CoreV1.ReplaceNamespacedConfigMapAsync(read, "crud", ns);
        Assert.AreEqual("2", replaced.Data["a"]);
        Assert.AreNotEqual(read.Metadata.ResourceVersion, replaced.Metadata.ResourceVersion);

        // A replace carrying the old resourceVersion is a conflict.
        read.Data["a"] = "stale";
        var conflict = await ThrowsHttpAsync(() => Client.CoreV1.ReplaceNamespacedConfigMapAsync(read, "crud", ns));
        Assert.AreEqual(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        StringAssert.Contains(conflict.Response.Content, "\"reason\":\"Conflict\"");
        StringAssert.Contains(conflict.Response.Content, "the object has been modified");

        var duplicate = await ThrowsHttpAsync(() => Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("crud"), ns));
        Assert.AreEqual(HttpStatusCode.Conflict, duplicate.Response.StatusCode);
        StringAssert.Contains(duplicate.Response.Content, "\"reason\":\"AlreadyExists\"");

        await Client.CoreV1.DeleteNamespacedConfigMapAsync("crud", ns);
        var gone = await ThrowsHttpAsync(() => Client.CoreV1.ReadNamespacedConfigMapAsync("crud", ns));
        Assert.AreEqual(HttpStatusCode.NotFound, gone.Response.StatusCode);
        using var status = JsonDocument.Parse(gone.Response.Content);
        Assert.AreEqual("NotFound", status.RootElement.GetProperty("reason").GetString());
        Assert.AreEqual("configmaps \"crud\" not found", status.RootElement.GetProperty("message").GetString());
    }

    [TestMethod]
    public async Task Typed_Create_Invalid_Gets422WithCauses()
    {
        var ns = await NamespaceAsync("cs-invalid");
        var e = await ThrowsHttpAsync(() => Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("Not_Valid"), ns));
        Assert.AreEqual((HttpStatusCode)422, e.Response.StatusCode);
        StringAssert.Contains(e.Response.Content, "\"reason\":\"Invalid\"");
        StringAssert.Contains(e.Response.Content, "\"field\":\"metadata.name\"");

        var noContainers = new V1Pod { Metadata = new V1ObjectMeta { Name = "empty" }, Spec = new V1PodSpec { Containers = [] } };
        var pod = await ThrowsHttpAsync(() => Client.CoreV1.CreateNamespacedPodAsync(noContainers, ns));
        Assert.AreEqual((HttpStatusCode)422, pod.Response.StatusCode);
        StringAssert.Contains(pod.Response.Content, "spec.containers");
    }

    [TestMethod]
    public async Task Typed_List_WithLabelSelector_FieldSelector_AndLimitContinue()
    {
        var ns = await NamespaceAsync("cs-list");
        for (var i = 0; i < 5; i++)
        {
            var labels = new Dictionary<string, string> { ["set"] = "list", ["parity"] = i % 2 == 0 ? "even" : "odd" };
            await Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap($"item-{i}", labels: labels), ns);
        }
        await Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("other"), ns);

        var all = await Client.CoreV1.ListNamespacedConfigMapAsync(ns);
        Assert.AreEqual(7, all.Items.Count, "five labelled, other, and kube-root-ca.crt");
        Assert.IsFalse(string.IsNullOrEmpty(all.Metadata.ResourceVersion));

        var labelled = await Client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "set=list");
        CollectionAssert.AreEquivalent(new[] { "item-0", "item-1", "item-2", "item-3", "item-4" }, labelled.Items.Select(c => c.Metadata.Name).ToList());
        var even = await Client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "set=list,parity in (even)");
        Assert.AreEqual(3, even.Items.Count);
        var notOdd = await Client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "parity!=odd");
        Assert.AreEqual(5, notOdd.Items.Count, "!= also matches objects without the label (other, kube-root-ca.crt)");

        var byName = await Client.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "metadata.name=item-3");
        Assert.AreEqual("item-3", byName.Items.Single().Metadata.Name);
        var acrossNamespaces = await Client.CoreV1.ListConfigMapForAllNamespacesAsync(fieldSelector: $"metadata.namespace={ns}", labelSelector: "parity=odd");
        Assert.AreEqual(2, acrossNamespaces.Items.Count);

        var names = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await Client.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 2, continueParameter: token);
            Assert.IsTrue(page.Items.Count <= 2, $"page of {page.Items.Count}");
            names.AddRange(page.Items.Select(c => c.Metadata.Name));
            token = page.Metadata.ContinueProperty;
            pages++;
        }
        while (!string.IsNullOrEmpty(token) && pages < 10);
        Assert.AreEqual(4, pages);
        CollectionAssert.AreEquivalent(all.Items.Select(c => c.Metadata.Name).ToList(), names);
    }

    [TestMethod]
    public async Task Typed_Patch_Merge_Json_AndStrategic()
    {
        var ns = await NamespaceAsync("cs-patch");
        await Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("p", new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }), ns);

        var merged = await Client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("{\"data\":{\"a\":\"10\",\"b\":null}}", V1Patch.PatchType.MergePatch), "p", ns);
        CollectionAssert.AreEquivalent(new Dictionary<string, string> { ["a"] = "10" }, merged.Data.ToDictionary());

        var jsonPatched = await Client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"x\":\"y\"}}]", V1Patch.PatchType.JsonPatch), "p", ns);
        Assert.AreEqual("y", jsonPatched.Metadata.Labels["x"]);

        // Strategic merge: containers merge by name, so the patch keeps the command and changes the image.
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("smp", 1, 200101), ns);
        await WaitAvailableAsync("smp", ns, 1); // until Patch_Concurrent_WithoutResourceVersion_NeverConflicts passes
        var patched = await Client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"busybox:2\"}]}}}}", V1Patch.PatchType.StrategicMergePatch), "smp", ns);
        var c = patched.Spec.Template.Spec.Containers.Single();
        Assert.AreEqual("busybox:2", c.Image);
        CollectionAssert.AreEqual(new[] { "sleep", "200101" }, c.Command.ToList());
        Assert.AreEqual(2, patched.Metadata.Generation);
    }

    [TestMethod]
    public async Task Typed_Deployment_ScaleSubresource_AndStatus()
    {
        var ns = await NamespaceAsync("cs-scale");
        var created = await Client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web", 1, 200102), ns);
        Assert.AreEqual("RollingUpdate", created.Spec.Strategy?.Type, "deployment defaults");
        Assert.AreEqual(10, created.Spec.RevisionHistoryLimit);

        await WaitAvailableAsync("web", ns, 1); // until Patch_Concurrent_WithoutResourceVersion_NeverConflicts passes
        var scale = await Client.AppsV1.ReadNamespacedDeploymentScaleAsync("web", ns);
        Assert.AreEqual(1, scale.Spec.Replicas);
        await Client.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch("{\"spec\":{\"replicas\":2}}", V1Patch.PatchType.MergePatch), "web", ns);
        Assert.AreEqual(2, (await Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns)).Spec.Replicas);

        await WaitAvailableAsync("web", ns, 2);
        var pods = await Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: "app=web", fieldSelector: "status.phase=Running,spec.nodeName=node-1");
        Assert.AreEqual(2, pods.Items.Count);
    }

    [TestMethod]
    public async Task Typed_Secret_DefaultsTypeOpaque_AndFoldsStringDataIntoData()
    {
        var ns = await NamespaceAsync("cs-secret");
        var secret = new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, StringData = new Dictionary<string, string> { ["user"] = "admin" } };
        var created = await Client.CoreV1.CreateNamespacedSecretAsync(secret, ns);
        Assert.AreEqual("Opaque", created.Type);
        Assert.IsNull(created.StringData, "stringData is write-only");
        CollectionAssert.AreEqual("admin"u8.ToArray(), created.Data["user"]);
    }

    private static async Task WaitAvailableAsync(string name, string ns, int replicas)
    {
        V1Deployment? d = null;
        var available = await Wait.UntilAsync(async () =>
        {
            d = await Client.AppsV1.ReadNamespacedDeploymentAsync(name, ns);
            return d.Status?.AvailableReplicas == replicas && d.Status.UpdatedReplicas == replicas && d.Status.ObservedGeneration == d.Metadata.Generation;
        }, TimeSpan.FromSeconds(90));
        Assert.IsTrue(available, $"deployment {name} never had {replicas} available replicas: " + KubernetesJson.Serialize(d?.Status));
    }

    [TestMethod]
    public async Task Patch_Concurrent_WithoutResourceVersion_NeverConflicts()
    {
        // Upstream retries a patch that carries no resourceVersion until it applies, so concurrent writers (or a
        // controller writing status) never make kubectl label/scale/patch fail with 409.
        var ns = await NamespaceAsync("cs-patch-race");
        await Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("race"), ns);
        var writers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                var patch = new V1Patch($"{{\"data\":{{\"w{w}\":\"{i}\"}}}}", V1Patch.PatchType.MergePatch);
                await Client.CoreV1.PatchNamespacedConfigMapAsync(patch, "race", ns);
            }
        })).ToArray();
        await Task.WhenAll(writers);
        var final = await Client.CoreV1.ReadNamespacedConfigMapAsync("race", ns);
        Assert.AreEqual(6, final.Data.Count);
        Assert.IsTrue(final.Data.Values.All(v => v == "9"), string.Join(",", final.Data));
    }

    [TestMethod]
    public async Task Typed_Pod_Eviction_DeletesThePod()
    {
        var ns = await NamespaceAsync("cs-evict");
        await Client.CoreV1.CreateNamespacedPodAsync(Pod("victim", 200106), ns);
        await Client.CoreV1.CreateNamespacedPodEvictionAsync(
            new V1Eviction { Metadata = new V1ObjectMeta { Name = "victim", NamespaceProperty = ns } }, "victim", ns);
        var gone = await Wait.UntilAsync(async () => (await Client.CoreV1.ListNamespacedPodAsync(ns, fieldSelector: "metadata.name=victim")).Items.Count == 0,
            TimeSpan.FromSeconds(60));
        Assert.IsTrue(gone, "the evicted pod is still there");
    }

    // ---- typed watch ----

    [TestMethod]
    public async Task Typed_Watch_WithCallbacks_SeesPodAddedAndRunning()
    {
        var ns = await NamespaceAsync("cs-watch-cb");
        var list = await Client.CoreV1.ListNamespacedPodAsync(ns);
        var events = new List<(WatchEventType Type, string Name, string? Phase)>();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Exception? error = null;
        using (var watcher = Client.CoreV1.WatchListNamespacedPod(ns, resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: 60,
            onEvent: (type, pod) =>
            {
                lock (events) events.Add((type, pod.Metadata.Name, pod.Status?.Phase));
                if (pod.Status?.Phase == "Running") running.TrySetResult();
            },
            onError: e => error = e,
            onClosed: () => closed.TrySetResult()))
        {
            await Client.CoreV1.CreateNamespacedPodAsync(Pod("watched", 200103), ns);
            var done = await Task.WhenAny(running.Task, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.AreSame(running.Task, done, $"no Running event; error {error}; events: {string.Join(", ", events)}");
        }
        lock (events)
        {
            Assert.AreEqual((WatchEventType.Added, "watched"), (events[0].Type, events[0].Name));
            Assert.IsTrue(events.Skip(1).All(e => e.Type == WatchEventType.Modified && e.Name == "watched"), string.Join(", ", events));
        }
        Assert.IsNull(error, error?.ToString());
    }

    [TestMethod]
    public async Task Typed_WatchAsync_SeesAddedModifiedDeleted_InOrder()
    {
        var ns = await NamespaceAsync("cs-watch-async");
        var list = await Client.CoreV1.ListNamespacedConfigMapAsync(ns);
        using var cts = new CancellationTokenSource(EventTimeout);
        var seen = new List<(WatchEventType, string)>();
        var watch = Client.CoreV1.WatchListNamespacedConfigMapAsync(ns, resourceVersion: list.Metadata.ResourceVersion, cancellationToken: cts.Token);

        await Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("w"), ns);
        await Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"k\":\"v\"}}", V1Patch.PatchType.MergePatch), "w", ns);
        await Client.CoreV1.DeleteNamespacedConfigMapAsync("w", ns);

        await foreach (var (type, cm) in watch)
        {
            seen.Add((type, type == WatchEventType.Modified ? cm.Data["k"] : cm.Metadata.Name));
            if (type == WatchEventType.Deleted) break;
        }
        CollectionAssert.AreEqual(new[] { (WatchEventType.Added, "w"), (WatchEventType.Modified, "v"), (WatchEventType.Deleted, "w") }, seen);
    }

    // ---- generic client ----

    [TestMethod]
    public async Task Generic_ConfigMaps_CreateReadListPatchReplaceDelete()
    {
        var ns = await NamespaceAsync("cs-generic");
        using var generic = new GenericClient(Client, "", "v1", "configmaps", disposeClient: false);
        var created = await generic.CreateNamespacedAsync(ConfigMap("g", new Dictionary<string, string> { ["a"] = "1" }), ns);
        Assert.AreEqual("g", created.Metadata.Name);

        var read = await generic.ReadNamespacedAsync<V1ConfigMap>(ns, "g");
        Assert.AreEqual("1", read.Data["a"]);
        var list = await generic.ListNamespacedAsync<V1ConfigMapList>(ns);
        Assert.AreEqual("g", list.Items.Single(i => i.Metadata.Name != RootCa).Metadata.Name);

        var patched = await generic.PatchNamespacedAsync<V1ConfigMap>(new V1Patch("{\"data\":{\"b\":\"2\"}}", V1Patch.PatchType.MergePatch), ns, "g");
        Assert.AreEqual("2", patched.Data["b"]);
        patched.Data["a"] = "3";
        var replaced = await generic.ReplaceNamespacedAsync(patched, ns, "g");
        Assert.AreEqual("3", replaced.Data["a"]);

        await generic.DeleteNamespacedAsync<V1ConfigMap>(ns, "g");
        var gone = await ThrowsHttpAsync(() => generic.ReadNamespacedAsync<V1ConfigMap>(ns, "g"));
        Assert.AreEqual(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [TestMethod]
    public async Task Generic_Deployments_Apps_CreateAndWatch()
    {
        var ns = await NamespaceAsync("cs-generic-watch");
        using var generic = new GenericClient(Client, "apps", "v1", "deployments", disposeClient: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var watch = generic.WatchNamespacedAsync<V1Deployment>(ns, null, cts.Token);
        var created = await generic.CreateNamespacedAsync(Deployment("gd", 1, 200104), ns);
        Assert.AreEqual(1, created.Metadata.Generation);

        var types = new List<WatchEventType>();
        await foreach (var (type, d) in watch)
        {
            Assert.AreEqual("gd", d.Metadata.Name);
            types.Add(type);
            if (d.Status?.AvailableReplicas == 1) break;
        }
        Assert.AreEqual(WatchEventType.Added, types[0]);
        Assert.IsTrue(types.Skip(1).All(t => t == WatchEventType.Modified), string.Join(",", types));
    }
}
