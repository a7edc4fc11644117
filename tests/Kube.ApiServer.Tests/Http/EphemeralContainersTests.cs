using System.Text.Json.Nodes;

namespace Kube.ApiServer.Tests.Http;

/// <summary>The pods/ephemeralcontainers subresource (kubectl debug): only additions, upstream's field rules, 422 with causes.</summary>
[TestClass]
public sealed class EphemeralContainersTests
{
    private const string Smp = "application/strategic-merge-patch+json";
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task Init(TestContext _) => _cluster = await TestCluster.StartAsync();

    [ClassCleanup]
    public static async Task Cleanup() => await _cluster.DisposeAsync();

    private static async Task<string> NewPodAsync()
    {
        var name = "eph-" + Guid.NewGuid().ToString("n")[..8];
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod(name));
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        return $"/api/v1/namespaces/default/pods/{name}";
    }

    private static string Debugger(string name, string extra = "") =>
        "{\"spec\":{\"ephemeralContainers\":[{\"name\":\"" + name + "\",\"image\":\"busybox\",\"command\":[\"sh\"],\"stdin\":true,\"tty\":true" + extra + "}]}}";

    private static List<(string Field, string Reason, string Message)> Causes(JsonNode? status) =>
        status!["details"]!["causes"]!.AsArray()
            .Select(c => (c!["field"]!.GetValue<string>(), c["reason"]!.GetValue<string>(), c["message"]!.GetValue<string>())).ToList();

    [TestMethod]
    public async Task Discovery_ListsTheSubresource_AsKubectlDebugExpects()
    {
        var r = await _cluster.GetAsync("/api/v1");
        var entry = r.Body!["resources"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "pods/ephemeralcontainers")!;
        Assert.AreEqual("Pod", entry["kind"]!.GetValue<string>());
        CollectionAssert.AreEquivalent(new[] { "get", "patch", "update" }, entry["verbs"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray());
    }

    [TestMethod]
    public async Task StrategicMergePatch_AddsTheContainer_DefaultsIt_AndIgnoresOtherSpecChanges()
    {
        var pod = await NewPodAsync();
        // kubectl debug sends the whole pod diff; only ephemeralContainers may change through this subresource
        var patch = "{\"spec\":{\"activeDeadlineSeconds\":5,\"ephemeralContainers\":[{\"name\":\"debugger-1\",\"image\":\"busybox\",\"command\":[\"sh\"],\"targetContainerName\":\"c\",\"stdin\":true,\"tty\":true}]}}";
        var r = await _cluster.SendAsync(HttpMethod.Patch, pod + "/ephemeralcontainers", patch, Smp);
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
        var added = r.Body!["spec"]!["ephemeralContainers"]![0]!;
        Assert.AreEqual("debugger-1", added["name"]!.GetValue<string>());
        Assert.AreEqual("c", added["targetContainerName"]!.GetValue<string>());
        Assert.AreEqual("File", added["terminationMessagePolicy"]!.GetValue<string>(), "defaulted as a container");
        Assert.AreEqual("Always", added["imagePullPolicy"]!.GetValue<string>());
        Assert.IsNull(r.Body["spec"]!["activeDeadlineSeconds"], "a non-ephemeral change is dropped");

        var get = await _cluster.GetAsync(pod + "/ephemeralcontainers");
        Assert.AreEqual(200, get.Code);
        Assert.AreEqual("Pod", get.Body!["kind"]!.GetValue<string>());
        Assert.AreEqual(1, get.Body["spec"]!["ephemeralContainers"]!.AsArray().Count);

        // a second one is appended by name (patch merge key), the first stays
        r = await _cluster.SendAsync(HttpMethod.Patch, pod + "/ephemeralcontainers", Debugger("debugger-2"), Smp);
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
        CollectionAssert.AreEqual(new[] { "debugger-1", "debugger-2" },
            r.Body!["spec"]!["ephemeralContainers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToArray());
    }

    [TestMethod]
    public async Task ForbiddenFields_Are422_WithAFieldCauseEach()
    {
        var pod = await NewPodAsync();
        var extra = ",\"ports\":[{\"containerPort\":80}],\"readinessProbe\":{\"exec\":{\"command\":[\"true\"]}},"
            + "\"resources\":{\"limits\":{\"cpu\":\"1\"}},\"lifecycle\":{\"preStop\":{\"exec\":{\"command\":[\"true\"]}}}";
        var r = await _cluster.SendAsync(HttpMethod.Patch, pod + "/ephemeralcontainers", Debugger("dbg", extra), Smp);
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("Invalid", r.Body!["reason"]!.GetValue<string>());
        var causes = Causes(r.Body);
        foreach (var field in new[] { "ports", "readinessProbe", "resources", "lifecycle" })
        {
            Assert.IsTrue(causes.Any(c => c.Field == $"spec.ephemeralContainers[0].{field}" && c.Reason == "FieldValueForbidden"
                && c.Message == "Forbidden: cannot be set for an Ephemeral Container"), $"{field}: {r.Body.ToJsonString()}");
        }
        StringAssert.StartsWith(r.Body["message"]!.GetValue<string>(), "Pod \"" + pod.Split('/')[^1] + "\" is invalid: [spec.ephemeralContainers[0].");
        Assert.IsNull((await _cluster.GetAsync(pod)).Body!["spec"]!["ephemeralContainers"], "nothing was written");
    }

    [TestMethod]
    [DataRow("c", "spec.ephemeralContainers[0].name", "FieldValueDuplicate", "", DisplayName = "name of a regular container")]
    [DataRow("dbg", "spec.ephemeralContainers[0].targetContainerName", "FieldValueNotFound", ",\"targetContainerName\":\"nope\"", DisplayName = "unknown target")]
    [DataRow("Bad_Name", "spec.ephemeralContainers[0].name", "FieldValueInvalid", "", DisplayName = "not a DNS label")]
    [DataRow("dbg", "spec.ephemeralContainers[0].volumeMounts[0].name", "FieldValueNotFound", ",\"volumeMounts\":[{\"name\":\"v\",\"mountPath\":\"/v\"}]", DisplayName = "unknown volume")]
    public async Task InvalidContainer_Is422_NamingTheField(string name, string field, string reason, string extra)
    {
        var pod = await NewPodAsync();
        var r = await _cluster.SendAsync(HttpMethod.Patch, pod + "/ephemeralcontainers", Debugger(name, extra), Smp);
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        Assert.IsTrue(Causes(r.Body).Any(c => c.Field == field && c.Reason == reason), r.Body!.ToJsonString());
    }

    [TestMethod]
    public async Task ExistingEphemeralContainers_MayNotBeRemovedOrChanged()
    {
        var pod = await NewPodAsync();
        var r = await _cluster.SendAsync(HttpMethod.Patch, pod + "/ephemeralcontainers", Debugger("dbg"), Smp);
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());

        var removed = r.Body!.DeepClone().AsObject();
        removed["spec"]!.AsObject().Remove("ephemeralContainers");
        var put = await _cluster.PutAsync(pod + "/ephemeralcontainers", removed.ToJsonString());
        Assert.AreEqual(422, put.Code, put.Body?.ToJsonString());
        Assert.IsTrue(Causes(put.Body).Any(c => c.Field == "spec.ephemeralContainers" && c.Message.Contains("existing ephemeral containers \"dbg\" may not be removed")),
            put.Body!.ToJsonString());

        var changed = r.Body!.DeepClone().AsObject();
        changed["spec"]!["ephemeralContainers"]![0]!["image"] = "alpine";
        put = await _cluster.PutAsync(pod + "/ephemeralcontainers", changed.ToJsonString());
        Assert.AreEqual(422, put.Code, put.Body?.ToJsonString());
        Assert.IsTrue(Causes(put.Body).Any(c => c.Message.Contains("existing ephemeral containers \"dbg\" may not be changed")), put.Body!.ToJsonString());

        // a PUT that adds one (keeping the first) is accepted
        var added = r.Body!.DeepClone().AsObject();
        added["spec"]!["ephemeralContainers"]!.AsArray().Add(JsonNode.Parse("{\"name\":\"dbg2\",\"image\":\"busybox\"}"));
        put = await _cluster.PutAsync(pod + "/ephemeralcontainers", added.ToJsonString());
        Assert.AreEqual(200, put.Code, put.Body?.ToJsonString());
        Assert.AreEqual(2, put.Body!["spec"]!["ephemeralContainers"]!.AsArray().Count);
    }

    [TestMethod]
    public async Task MainEndpoint_RejectsEphemeralContainerChanges_AndCreateRejectsThem()
    {
        var pod = await NewPodAsync();
        var r = await _cluster.SendAsync(HttpMethod.Patch, pod, Debugger("dbg"), Smp);
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        var cause = Causes(r.Body).Single();
        Assert.AreEqual("spec", cause.Field);
        StringAssert.StartsWith(cause.Message, "Forbidden: pod updates may not change fields other than `spec.containers[*].image`");

        // an update through the main endpoint that keeps them unchanged is fine
        var added = await _cluster.SendAsync(HttpMethod.Patch, pod + "/ephemeralcontainers", Debugger("dbg"), Smp);
        Assert.AreEqual(200, added.Code, added.Body?.ToJsonString());
        var label = await _cluster.SendAsync(HttpMethod.Patch, pod, "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", Smp);
        Assert.AreEqual(200, label.Code, label.Body?.ToJsonString());
        Assert.AreEqual(1, label.Body!["spec"]!["ephemeralContainers"]!.AsArray().Count);

        var body = JsonNode.Parse(Objects.Pod("eph-create-" + Guid.NewGuid().ToString("n")[..6]))!.AsObject();
        body["spec"]!["ephemeralContainers"] = JsonNode.Parse("[{\"name\":\"dbg\",\"image\":\"busybox\"}]");
        var create = await _cluster.PostAsync("/api/v1/namespaces/default/pods", body.ToJsonString());
        Assert.AreEqual(422, create.Code, create.Body?.ToJsonString());
        Assert.IsTrue(Causes(create.Body).Any(c => c.Field == "spec.ephemeralContainers" && c.Message == "Forbidden: cannot be set on create"), create.Body!.ToJsonString());
    }

    [TestMethod]
    public async Task UnknownPod_Is404_WithTheNameInDetails()
    {
        // kubectl debug tells a missing pod (details.name set) from a server without the subresource (empty details)
        var r = await _cluster.SendAsync(HttpMethod.Patch, "/api/v1/namespaces/default/pods/absent/ephemeralcontainers", Debugger("dbg"), Smp);
        Assert.AreEqual(404, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("absent", r.Body!["details"]!["name"]!.GetValue<string>());
    }
}
