using System.Text.Json.Nodes;

namespace Kube.ApiServer.Tests.Http;

[TestClass]
public sealed class CrudTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task Init(TestContext _) => _cluster = await TestCluster.StartAsync();

    [ClassCleanup]
    public static async Task Cleanup() => await _cluster.DisposeAsync();

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("n")[..8];

    [TestMethod]
    public async Task Create_SetsServerFieldsAndDefaults()
    {
        var name = Unique("pod");
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod(name));
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        var meta = r.Body!["metadata"]!;
        Assert.IsFalse(string.IsNullOrEmpty(meta["uid"]?.GetValue<string>()));
        Assert.IsNotNull(meta["creationTimestamp"]);
        Assert.IsTrue(long.Parse(meta["resourceVersion"]!.GetValue<string>()) > 0);
        Assert.AreEqual(1, meta["generation"]!.GetValue<int>());
        var spec = r.Body["spec"]!;
        Assert.AreEqual("Always", spec["restartPolicy"]!.GetValue<string>());
        Assert.AreEqual("ClusterFirst", spec["dnsPolicy"]!.GetValue<string>());
        Assert.AreEqual(30, spec["terminationGracePeriodSeconds"]!.GetValue<int>());
        Assert.AreEqual("default-scheduler", spec["schedulerName"]!.GetValue<string>());
        Assert.AreEqual("IfNotPresent", spec["containers"]![0]!["imagePullPolicy"]!.GetValue<string>());
        Assert.AreEqual("/dev/termination-log", spec["containers"]![0]!["terminationMessagePath"]!.GetValue<string>());
        Assert.AreEqual("Pending", r.Body["status"]!["phase"]!.GetValue<string>());

        var get = await _cluster.GetAsync($"/api/v1/namespaces/default/pods/{name}");
        Assert.AreEqual(200, get.Code);
        Assert.AreEqual(meta["resourceVersion"]!.GetValue<string>(), get.Body!["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Create_Deployment_GetsDefaults()
    {
        var name = Unique("dep");
        var r = await _cluster.PostAsync("/apis/apps/v1/namespaces/default/deployments", Objects.Deployment(name).Replace("\"replicas\":2,", ""));
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        var spec = r.Body!["spec"]!;
        Assert.AreEqual(1, spec["replicas"]!.GetValue<int>());
        Assert.AreEqual("RollingUpdate", spec["strategy"]!["type"]!.GetValue<string>());
        Assert.AreEqual("25%", spec["strategy"]!["rollingUpdate"]!["maxSurge"]!.GetValue<string>());
        Assert.AreEqual(10, spec["revisionHistoryLimit"]!.GetValue<int>());
        Assert.AreEqual(600, spec["progressDeadlineSeconds"]!.GetValue<int>());
        Assert.AreEqual("Always", spec["template"]!["spec"]!["restartPolicy"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Create_Service_DefaultsTypeAndTargetPort()
    {
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/services",
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc-a"},"spec":{"selector":{"app":"a"},"ports":[{"port":80}]}}""");
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("ClusterIP", r.Body!["spec"]!["type"]!.GetValue<string>());
        Assert.AreEqual("None", r.Body!["spec"]!["sessionAffinity"]!.GetValue<string>());
        Assert.AreEqual("TCP", r.Body!["spec"]!["ports"]![0]!["protocol"]!.GetValue<string>());
        Assert.AreEqual(80, r.Body!["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
    }

    [TestMethod]
    public async Task Create_Duplicate_Returns409AlreadyExists()
    {
        var name = Unique("pod");
        await _cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod(name));
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod(name));
        Assert.AreEqual(409, r.Code);
        Assert.AreEqual("Status", r.Body!["kind"]!.GetValue<string>());
        Assert.AreEqual("AlreadyExists", r.Body!["reason"]!.GetValue<string>());
        Assert.AreEqual($"pods \"{name}\" already exists", r.Body!["message"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Get_Missing_Returns404NotFound()
    {
        var r = await _cluster.GetAsync("/apis/apps/v1/namespaces/default/deployments/nope");
        Assert.AreEqual(404, r.Code);
        Assert.AreEqual("NotFound", r.Body!["reason"]!.GetValue<string>());
        Assert.AreEqual("deployments.apps \"nope\" not found", r.Body!["message"]!.GetValue<string>());
        Assert.AreEqual("deployments", r.Body!["details"]!["kind"]!.GetValue<string>());
    }

    [TestMethod]
    [DataRow("/api/v1/nothings")]
    [DataRow("/apis/nogroup/v1/things")]
    [DataRow("/random/path")]
    public async Task UnknownPath_Returns404Status(string path)
    {
        var r = await _cluster.GetAsync(path);
        Assert.AreEqual(404, r.Code);
        Assert.AreEqual("Status", r.Body!["kind"]!.GetValue<string>());
        Assert.AreEqual("NotFound", r.Body!["reason"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Update_WithStaleResourceVersion_Returns409Conflict()
    {
        var name = Unique("cm");
        var created = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps",
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"a":"1"}}""");
        var rv = created.Body!["metadata"]!["resourceVersion"]!.GetValue<string>();
        var ok = await _cluster.PutAsync($"/api/v1/namespaces/default/configmaps/{name}",
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","resourceVersion":"{{{rv}}}"},"data":{"a":"2"}}""");
        Assert.AreEqual(200, ok.Code, ok.Body?.ToJsonString());
        var stale = await _cluster.PutAsync($"/api/v1/namespaces/default/configmaps/{name}",
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","resourceVersion":"{{{rv}}}"},"data":{"a":"3"}}""");
        Assert.AreEqual(409, stale.Code);
        Assert.AreEqual("Conflict", stale.Body!["reason"]!.GetValue<string>());
        Assert.AreEqual($"Operation cannot be fulfilled on configmaps \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            stale.Body!["message"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Create_PodWithoutContainers_Returns422WithCauses()
    {
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/pods",
            """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"Bad_Name"},"spec":{"containers":[]}}""");
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("Invalid", r.Body!["reason"]!.GetValue<string>());
        var fields = r.Body!["details"]!["causes"]!.AsArray().Select(c => c!["field"]!.GetValue<string>()).ToList();
        CollectionAssert.Contains(fields, "metadata.name");
        CollectionAssert.Contains(fields, "spec.containers");
        StringAssert.StartsWith(r.Body!["message"]!.GetValue<string>(), "Pod \"Bad_Name\" is invalid: [");
    }

    [TestMethod]
    public async Task Create_DeploymentWithMismatchedSelector_Returns422()
    {
        var body = Objects.Deployment("mismatch").Replace("\"selector\":{\"matchLabels\":{\"app\":\"mismatch\"}}", "\"selector\":{\"matchLabels\":{\"app\":\"other\"}}");
        var r = await _cluster.PostAsync("/apis/apps/v1/namespaces/default/deployments", body);
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("spec.template.metadata.labels", r.Body!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Update_DeploymentSelector_IsImmutable()
    {
        var name = Unique("dep");
        await _cluster.PostAsync("/apis/apps/v1/namespaces/default/deployments", Objects.Deployment(name));
        var patch = """{"spec":{"selector":{"matchLabels":{"app":"NAME","x":"y"}},"template":{"metadata":{"labels":{"x":"y"}}}}}""".Replace("NAME", name);
        var r = await _cluster.SendAsync(HttpMethod.Patch, $"/apis/apps/v1/namespaces/default/deployments/{name}", patch, "application/merge-patch+json");
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("spec.selector", r.Body!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Create_InMissingNamespace_Returns404()
    {
        var r = await _cluster.PostAsync("/api/v1/namespaces/ghost/pods", Objects.Pod("p", "ghost"));
        Assert.AreEqual(404, r.Code);
        Assert.AreEqual("namespaces \"ghost\" not found", r.Body!["message"]!.GetValue<string>());
    }

    [TestMethod]
    [DataRow("{not json")]
    [DataRow("[1,2]")]
    [DataRow("")]
    public async Task Create_BadBody_Returns400(string body)
    {
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps", body);
        Assert.AreEqual(400, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("BadRequest", r.Body!["reason"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Create_ProtobufOfUnknownKind_Returns415_AndGarbage400()
    {
        // k8s\0 + runtime.Unknown{typeMeta{apiVersion "v1", kind "Pod"}, raw ""}
        byte[] body = [(byte)'k', (byte)'8', (byte)'s', 0, 0x0a, 0x09, 0x0a, 0x02, (byte)'v', (byte)'1', 0x12, 0x03, (byte)'P', (byte)'o', (byte)'d', 0x12, 0x00];
        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/namespaces/default/pods") { Content = new ByteArrayContent(body) };
        req.Content.Headers.ContentType = new("application/vnd.kubernetes.protobuf");
        using var resp = await _cluster.Http.SendAsync(req);
        Assert.AreEqual(415, (int)resp.StatusCode);
        StringAssert.Contains(await resp.Content.ReadAsStringAsync(), "UnsupportedMediaType");
        var garbage = await _cluster.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", "k8s\0\u00ff", "application/vnd.kubernetes.protobuf");
        Assert.AreEqual(400, garbage.Code);
        var yaml = await _cluster.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", "a: b", "text/plain");
        Assert.AreEqual(415, yaml.Code);
    }

    [TestMethod]
    public async Task Put_OnCollection_Returns405()
    {
        var r = await _cluster.PutAsync("/api/v1/namespaces/default/configmaps", "{}");
        Assert.AreEqual(405, r.Code);
        Assert.AreEqual("MethodNotAllowed", r.Body!["reason"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Create_WithGenerateName_AppendsFiveCharacters()
    {
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-"}}""");
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        var name = r.Body!["metadata"]!["name"]!.GetValue<string>();
        StringAssert.Matches(name, new System.Text.RegularExpressions.Regex("^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$"));
    }

    [TestMethod]
    public async Task Update_Generation_BumpsOnlyOnSpecChange()
    {
        var name = Unique("dep");
        var path = $"/apis/apps/v1/namespaces/default/deployments/{name}";
        await _cluster.PostAsync("/apis/apps/v1/namespaces/default/deployments", Objects.Deployment(name));
        var labels = await _cluster.SendAsync(HttpMethod.Patch, path, """{"metadata":{"labels":{"extra":"1"}}}""", "application/merge-patch+json");
        Assert.AreEqual(1, labels.Body!["metadata"]!["generation"]!.GetValue<int>());
        var status = await _cluster.SendAsync(HttpMethod.Patch, path + "/status", """{"status":{"replicas":5}}""", "application/merge-patch+json");
        Assert.AreEqual(200, status.Code, status.Body?.ToJsonString());
        Assert.AreEqual(1, status.Body!["metadata"]!["generation"]!.GetValue<int>());
        Assert.AreEqual(5, status.Body!["status"]!["replicas"]!.GetValue<int>());
        var spec = await _cluster.SendAsync(HttpMethod.Patch, path, """{"spec":{"replicas":4}}""", "application/merge-patch+json");
        Assert.AreEqual(2, spec.Body!["metadata"]!["generation"]!.GetValue<int>());
    }

    [TestMethod]
    public async Task StatusSubresource_SeparatesSpecAndStatus()
    {
        var name = Unique("dep");
        var path = $"/apis/apps/v1/namespaces/default/deployments/{name}";
        var created = await _cluster.PostAsync("/apis/apps/v1/namespaces/default/deployments", Objects.Deployment(name));
        var body = created.Body!.AsObject();
        body["spec"]!["replicas"] = 7;
        body["status"] = new JsonObject { ["replicas"] = 9 };
        body["metadata"]!.AsObject().Remove("resourceVersion");
        var main = await _cluster.PutAsync(path, body.ToJsonString());
        Assert.AreEqual(200, main.Code, main.Body?.ToJsonString());
        Assert.AreEqual(7, main.Body!["spec"]!["replicas"]!.GetValue<int>());
        Assert.IsNull(main.Body!["status"]?["replicas"], "the main endpoint must ignore status");

        body["spec"]!["replicas"] = 1;
        var status = await _cluster.PutAsync(path + "/status", body.ToJsonString());
        Assert.AreEqual(200, status.Code, status.Body?.ToJsonString());
        Assert.AreEqual(9, status.Body!["status"]!["replicas"]!.GetValue<int>());
        Assert.AreEqual(7, status.Body!["spec"]!["replicas"]!.GetValue<int>(), "the status endpoint must ignore spec");
    }

    [TestMethod]
    public async Task Binding_SetsNodeNameOnce()
    {
        var name = Unique("pod");
        await _cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod(name));
        var binding = $$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"{{{name}}}"},"target":{"apiVersion":"v1","kind":"Node","name":"node-a"}}""";
        var r = await _cluster.PostAsync($"/api/v1/namespaces/default/pods/{name}/binding", binding);
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        var pod = await _cluster.GetAsync($"/api/v1/namespaces/default/pods/{name}");
        Assert.AreEqual("node-a", pod.Body!["spec"]!["nodeName"]!.GetValue<string>());
        Assert.AreEqual("PodScheduled", pod.Body!["status"]!["conditions"]![0]!["type"]!.GetValue<string>());
        var again = await _cluster.PostAsync($"/api/v1/namespaces/default/pods/{name}/binding", binding.Replace("node-a", "node-b"));
        Assert.AreEqual(409, again.Code);
        Assert.AreEqual("Conflict", again.Body!["reason"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Scale_GetAndPut_ChangesReplicas()
    {
        var name = Unique("dep");
        await _cluster.PostAsync("/apis/apps/v1/namespaces/default/deployments", Objects.Deployment(name));
        var path = $"/apis/apps/v1/namespaces/default/deployments/{name}/scale";
        var scale = await _cluster.GetAsync(path);
        Assert.AreEqual(200, scale.Code);
        Assert.AreEqual("Scale", scale.Body!["kind"]!.GetValue<string>());
        Assert.AreEqual("autoscaling/v1", scale.Body!["apiVersion"]!.GetValue<string>());
        Assert.AreEqual(2, scale.Body!["spec"]!["replicas"]!.GetValue<int>());
        Assert.AreEqual($"app={name}", scale.Body!["status"]!["selector"]!.GetValue<string>());
        scale.Body!["spec"]!["replicas"] = 5;
        var put = await _cluster.PutAsync(path, scale.Body!.ToJsonString());
        Assert.AreEqual(200, put.Code, put.Body?.ToJsonString());
        var patch = await _cluster.SendAsync(HttpMethod.Patch, path, """{"spec":{"replicas":6}}""", "application/merge-patch+json");
        Assert.AreEqual(200, patch.Code, patch.Body?.ToJsonString());
        var dep = await _cluster.GetAsync($"/apis/apps/v1/namespaces/default/deployments/{name}");
        Assert.AreEqual(6, dep.Body!["spec"]!["replicas"]!.GetValue<int>());
    }

    [TestMethod]
    public async Task Create_StrictFieldValidation_RejectsUnknownFields()
    {
        var body = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"strict-1"},"data":{"a":"b"},"spec":{"foo":1}}""";
        var strict = await _cluster.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", body);
        Assert.AreEqual(400, strict.Code);
        Assert.AreEqual("strict decoding error: unknown field \"spec\"", strict.Body!["message"]!.GetValue<string>());

        var pod = Objects.Pod("strict-pod").Replace("\"containers\"", "\"foo\":1,\"containers\"");
        var strictPod = await _cluster.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/pods?fieldValidation=Strict", pod);
        Assert.AreEqual(400, strictPod.Code);
        Assert.AreEqual("strict decoding error: unknown field \"spec.foo\"", strictPod.Body!["message"]!.GetValue<string>());

        var warn = await _cluster.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/pods?fieldValidation=Warn", pod);
        Assert.AreEqual(201, warn.Code);
        StringAssert.Contains(string.Join(",", warn.Response.Headers.GetValues("Warning")), "unknown field \\\"spec.foo\\\"");
    }

    [TestMethod]
    public async Task List_FiltersByLabelAndFieldSelectors()
    {
        var ns = Unique("ns");
        await _cluster.PostAsync("/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""");
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/pods", Objects.Pod("a", ns, """{"app":"web","tier":"front"}""", nodeName: "n1"));
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/pods", Objects.Pod("b", ns, """{"app":"web","tier":"back"}"""));
        await _cluster.PostAsync($"/api/v1/namespaces/{ns}/pods", Objects.Pod("c", ns, """{"app":"db"}""", nodeName: "n2"));

        async Task<string> Names(string query)
        {
            var r = await _cluster.GetAsync($"/api/v1/namespaces/{ns}/pods?{query}");
            Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
            return string.Join(",", r.Body!["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        }

        Assert.AreEqual("a,b", await Names("labelSelector=app%3Dweb"));
        Assert.AreEqual("a,b", await Names("labelSelector=app%3D%3Dweb"));
        Assert.AreEqual("c", await Names("labelSelector=app!%3Dweb"));
        Assert.AreEqual("a,c", await Names("labelSelector=tier%20notin%20(back)"));
        Assert.AreEqual("b", await Names("labelSelector=tier%20in%20(back)"));
        Assert.AreEqual("a,b", await Names("labelSelector=tier"));
        Assert.AreEqual("c", await Names("labelSelector=!tier"));
        Assert.AreEqual("a", await Names("fieldSelector=spec.nodeName%3Dn1"));
        Assert.AreEqual("b", await Names("fieldSelector=spec.nodeName%3D"));
        Assert.AreEqual("c", await Names("fieldSelector=metadata.name%3Dc"));
        Assert.AreEqual("a,b,c", await Names("fieldSelector=status.phase%3DPending"));
        Assert.AreEqual("b", await Names($"fieldSelector=metadata.namespace%3D{ns},metadata.name!%3Da&labelSelector=app%3Dweb"));
        var bad = await _cluster.GetAsync($"/api/v1/namespaces/{ns}/pods?labelSelector=app%3D%3D%3D");
        Assert.AreEqual(400, bad.Code);
    }

    [TestMethod]
    public async Task List_PagesWithLimitAndContinue()
    {
        var ns = Unique("ns");
        await _cluster.PostAsync("/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""");
        for (var i = 0; i < 5; i++)
            await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{i}}}"}}""");
        var names = new List<string>();
        string? cont = null;
        string? rv = null;
        for (var page = 0; page < 10; page++)
        {
            var r = await _cluster.GetAsync($"/api/v1/namespaces/{ns}/configmaps?limit=2" + (cont is null ? "" : "&continue=" + Uri.EscapeDataString(cont)));
            Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
            Assert.IsTrue(r.Body!["items"]!.AsArray().Count <= 2);
            names.AddRange(r.Body!["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
            rv ??= r.Body!["metadata"]!["resourceVersion"]!.GetValue<string>();
            Assert.AreEqual(rv, r.Body!["metadata"]!["resourceVersion"]!.GetValue<string>(), "every page is read at the first page's revision");
            cont = r.Body!["metadata"]!["continue"]?.GetValue<string>();
            if (string.IsNullOrEmpty(cont)) break;
            if (page == 0)
                await _cluster.PostAsync($"/api/v1/namespaces/{ns}/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-9"}}""");
        }
        CollectionAssert.AreEqual(new[] { "cm-0", "cm-1", "cm-2", "cm-3", "cm-4" }, names);
        var bad = await _cluster.GetAsync($"/api/v1/namespaces/{ns}/configmaps?limit=2&continue=garbage");
        Assert.AreEqual(400, bad.Code);
    }

    [TestMethod]
    public async Task Discovery_And_Version_AreServed()
    {
        var version = await _cluster.GetAsync("/version");
        Assert.AreEqual("v1.32.0", version.Body!["gitVersion"]!.GetValue<string>());
        Assert.AreEqual("32", version.Body!["minor"]!.GetValue<string>());
        var api = await _cluster.GetAsync("/api");
        Assert.AreEqual("APIVersions", api.Body!["kind"]!.GetValue<string>());
        var apis = await _cluster.GetAsync("/apis");
        Assert.IsTrue(apis.Body!["groups"]!.AsArray().Any(g => g!["name"]!.GetValue<string>() == "apps"));
        var core = await _cluster.GetAsync("/api/v1");
        var resources = core.Body!["resources"]!.AsArray();
        var pods = resources.First(r => r!["name"]!.GetValue<string>() == "pods")!;
        Assert.AreEqual("Pod", pods["kind"]!.GetValue<string>());
        Assert.IsTrue(pods["namespaced"]!.GetValue<bool>());
        CollectionAssert.Contains(pods["shortNames"]!.AsArray().Select(s => s!.GetValue<string>()).ToList(), "po");
        Assert.IsTrue(resources.Any(r => r!["name"]!.GetValue<string>() == "pods/status"));
        var apps = await _cluster.GetAsync("/apis/apps/v1");
        var scale = apps.Body!["resources"]!.AsArray().First(r => r!["name"]!.GetValue<string>() == "deployments/scale")!;
        Assert.AreEqual("autoscaling", scale["group"]!.GetValue<string>());
        Assert.AreEqual("Scale", scale["kind"]!.GetValue<string>());
        foreach (var p in new[] { "/healthz", "/livez", "/readyz" })
        {
            var r = await _cluster.Http.GetStringAsync(p);
            Assert.AreEqual("ok", r);
        }
    }

    [TestMethod]
    public async Task OpenApiV3_AdvertisesFieldValidationOnPatch()
    {
        var index = await _cluster.GetAsync("/openapi/v3");
        var url = index.Body!["paths"]!["apis/apps/v1"]!["serverRelativeURL"]!.GetValue<string>();
        var doc = await _cluster.GetAsync(url);
        Assert.AreEqual(200, doc.Code);
        var patch = doc.Body!["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!["patch"]!;
        Assert.AreEqual("Deployment", patch["x-kubernetes-group-version-kind"]!["kind"]!.GetValue<string>());
        Assert.IsTrue(patch["parameters"]!.AsArray().Any(p => p!["name"]!.GetValue<string>() == "fieldValidation"));
        Assert.IsNotNull(doc.Body!["components"]!["schemas"]!["io.k8s.api.apps.v1.Deployment"]!["x-kubernetes-group-version-kind"]);
        Assert.AreEqual(404, (await _cluster.GetAsync("/openapi/v3/apis/nothing/v1")).Code);
    }

    [TestMethod]
    [DataRow("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t1","labels":{"a":1}}}""")]
    [DataRow("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t2"},"data":["x"]}""")]
    [DataRow("""{"apiVersion":"v1","kind":"ConfigMap","metadata":"oops"}""")]
    public async Task Create_WronglyTypedField_Returns400(string body)
    {
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps", body);
        Assert.AreEqual(400, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("BadRequest", r.Body!["reason"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Patch_ToWronglyTypedField_Returns400()
    {
        var name = Unique("cm");
        await _cluster.PostAsync("/api/v1/namespaces/default/configmaps", $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"}}""");
        var r = await _cluster.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/default/configmaps/{name}", """{"metadata":{"labels":{"n":5}}}""", "application/merge-patch+json");
        Assert.AreEqual(400, r.Code, r.Body?.ToJsonString());
    }

    [TestMethod]
    public async Task Create_DuplicateJsonKeys_Returns400()
    {
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/configmaps",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup2"}}""");
        Assert.AreEqual(400, r.Code, r.Body?.ToJsonString());
    }

    [TestMethod]
    public async Task Create_Secret_DefaultsTypeAndFoldsStringData()
    {
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/secrets",
            """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"data":{"a":"eA=="},"stringData":{"b":"hello"}}""");
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("Opaque", r.Body!["type"]!.GetValue<string>());
        Assert.AreEqual("eA==", r.Body!["data"]!["a"]!.GetValue<string>());
        Assert.AreEqual("aGVsbG8=", r.Body!["data"]!["b"]!.GetValue<string>());
        Assert.IsNull(r.Body!["stringData"]);
        var table = await _cluster.GetAsync("/api/v1/namespaces/default/secrets/s1", "application/json;as=Table;v=v1;g=meta.k8s.io");
        var cells = table.Body!["rows"]![0]!["cells"]!.AsArray();
        Assert.AreEqual("Opaque", cells[1]!.GetValue<string>());
        Assert.AreEqual(2, cells[2]!.GetValue<int>());
    }
}
