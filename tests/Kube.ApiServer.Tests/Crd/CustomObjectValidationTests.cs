using System.Text.Json.Nodes;

namespace Kube.ApiServer.Tests.Crd;

/// <summary>Custom objects are validated against their CRD version's OpenAPI v3 schema with upstream's paths and messages.</summary>
[TestClass]
public sealed class CustomObjectValidationTests
{
    private static TestCluster _cluster = null!;
    private static int _counter;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _cluster = await TestCluster.StartAsync();
        var crd = await _cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CrdFixtures.Crd());
        Assert.AreEqual(201, crd.Code, crd.Body?.ToJsonString());
    }

    [ClassCleanup]
    public static async Task StopAsync() => await _cluster.DisposeAsync();

    private static string NextName() => $"g{Interlocked.Increment(ref _counter)}";

    [TestMethod]
    [DataRow("""{"replicas":20}""", "spec.replicas", "Invalid value: 20: spec.replicas in body should be less than or equal to 10")]
    [DataRow("""{"replicas":0}""", "spec.replicas", "Invalid value: 0: spec.replicas in body should be greater than or equal to 1")]
    [DataRow("""{"replicas":"3"}""", "spec.replicas", "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"")]
    [DataRow("""{"replicas":1.5}""", "spec.replicas", "Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\"")]
    [DataRow("""{"ratio":1}""", "spec.ratio", "Invalid value: 1: spec.ratio in body should be less than 1")]
    [DataRow("""{"ratio":0}""", "spec.ratio", "Invalid value: 0: spec.ratio in body should be greater than 0")]
    [DataRow("""{"step":7}""", "spec.step", "Invalid value: 7: spec.step in body should be a multiple of 5")]
    [DataRow("""{"mode":"x"}""", "spec.mode", "Unsupported value: \"x\": supported values: \"a\", \"b\"")]
    [DataRow("""{"name":"ABC"}""", "spec.name", "Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'")]
    [DataRow("""{"name":"abc\n"}""", "spec.name", "Invalid value: \"abc\\n\": spec.name in body should match '^[a-z]+$'")]
    [DataRow("""{"name":"a"}""", "spec.name", "Invalid value: \"a\": spec.name in body should be at least 2 chars long")]
    [DataRow("""{"name":"abcdef"}""", "spec.name", "Too long: may not be more than 5 bytes")]
    [DataRow("""{"items":["a","b","c","d","e"]}""", "spec.items", "Too many: 5: must have at most 3 items")]
    [DataRow("""{"items":[]}""", "spec.items", "Invalid value: 0: spec.items in body should have at least 1 items")]
    [DataRow("""{"items":[1]}""", "spec.items[0]", "Invalid value: \"integer\": spec.items[0] in body must be of type string: \"integer\"")]
    [DataRow("""{"tags":["a","b","a"]}""", "spec.tags[2]", "Duplicate value: \"a\"")]
    [DataRow("""{"ports":[{"name":"http","port":80},{"name":"http","port":81}]}""", "spec.ports[1]", "Duplicate value: map[string]interface {}{\"name\":\"http\"}")]
    [DataRow("""{"ports":[{"port":80}]}""", "spec.ports[0].name", "Required value")]
    [DataRow("""{"labels":{"a":"1","b":"2","c":"3"}}""", "spec.labels", "Too many: 3: must have at most 2 items")]
    [DataRow("""{"labels":{}}""", "spec.labels", "Invalid value: 0: spec.labels in body should have at least 1 properties")]
    [DataRow("""{"labels":{"a":1}}""", "spec.labels.a", "Invalid value: \"integer\": spec.labels.a in body must be of type string: \"integer\"")]
    [DataRow("""{"id":"nope"}""", "spec.id", "Invalid value: \"nope\": spec.id in body must be of type uuid: \"nope\"")]
    [DataRow("""{"ip":"300.1.1.1"}""", "spec.ip", "Invalid value: \"300.1.1.1\": spec.ip in body must be of type ipv4: \"300.1.1.1\"")]
    [DataRow("""{"when":"yesterday"}""", "spec.when", "Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\"")]
    [DataRow("""{"size":true}""", "spec.size", "Invalid value: \"boolean\": spec.size in body must be of type integer,string: \"boolean\"")]
    [DataRow("""{"child":{}}""", "spec.child.a", "Required value")]
    [DataRow("""{"choice":{}}""", "spec.choice", "Invalid value: \"\": spec.choice must validate at least one schema (anyOf)")]
    [DataRow("""{"one":{"x":"1","y":"2"}}""", "spec.one", "Invalid value: \"\": spec.one must validate one and only one schema (oneOf)")]
    [DataRow("""{"neg":"forbidden"}""", "spec.neg", "Invalid value: \"\": spec.neg must not validate the schema (not)")]
    [DataRow("""{"template":{"metadata":{"name":"x"}}}""", "spec.template.apiVersion", "Required value: must not be empty")]
    [DataRow("""{"template":{"apiVersion":"a/b/c","kind":"X"}}""", "spec.template.apiVersion", "Invalid value: \"a/b/c\": unexpected GroupVersion string: a/b/c")]
    [DataRow("""{"opt":1}""", "spec.opt", "Invalid value: \"integer\": spec.opt in body must be of type string: \"integer\"")]
    public async Task InvalidValue_Is422_NamingTheFieldAsUpstream(string spec, string field, string message)
    {
        var r = await _cluster.PostAsync(CrdFixtures.Path, CrdFixtures.Gadget(NextName(), spec));
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        Assert.AreEqual("Invalid", r.Body!["reason"]!.GetValue<string>());
        var causes = CrdFixtures.Causes(r.Body);
        Assert.IsTrue(causes.Contains((field, message)), $"expected {field}: {message}\nactual: {string.Join("\n", causes)}");
        StringAssert.Contains(r.Body!["message"]!.GetValue<string>(), $"{field}: {message}");
    }

    [TestMethod]
    public async Task EveryCause_IsInOne422()
    {
        var name = NextName();
        var r = await _cluster.PostAsync(CrdFixtures.Path, CrdFixtures.Gadget(name, """{"replicas":20,"mode":"x","name":"ABC","child":{}}"""));
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        var fields = CrdFixtures.Causes(r.Body).Select(c => c.Field).Order().ToList();
        CollectionAssert.AreEqual(new[] { "spec.child.a", "spec.mode", "spec.name", "spec.replicas" }, fields);
        StringAssert.StartsWith(r.Body!["message"]!.GetValue<string>(), $"Gadget.valid.example.com \"{name}\" is invalid: [");
    }

    [TestMethod]
    public async Task ValidObject_IsDefaultedAndPruned_KeepingPreservedFields()
    {
        var r = await _cluster.PostAsync(CrdFixtures.Path, CrdFixtures.Gadget(NextName(), """
            {"replicas":null,"defaulted":null,"size":"10%","opt":null,"title":"ééé","mode":"a","nested":{},
             "ports":[{"name":"http","port":80,"bogus":1}],"maps":{"m":{"v":"1","bogus":2}},"arr":[{},{"k":"y"}],
             "free":{"any":{"thing":[1,2]}},"template":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"b"}},
             "unknown":{"x":1}}
            """));
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        var spec = r.Body!["spec"]!;
        Assert.AreEqual("hello", spec["defaulted"]!.GetValue<string>(), "a null non-nullable field gets its default");
        Assert.IsFalse(spec.AsObject().ContainsKey("replicas"), "a null non-nullable field without default is dropped");
        Assert.IsTrue(spec.AsObject().ContainsKey("opt") && spec["opt"] is null, "nullable keeps null");
        Assert.AreEqual(7, spec["nested"]!["inner"]!["d"]!.GetValue<int>(), "nested defaults apply under a defaulted object");
        Assert.AreEqual("TCP", spec["ports"]![0]!["protocol"]!.GetValue<string>(), "defaults apply in array items");
        Assert.IsNull(spec["ports"]![0]!["bogus"], "unknown fields in array items are pruned");
        Assert.IsNull(spec["maps"]!["m"]!["bogus"], "unknown fields under additionalProperties are pruned");
        Assert.AreEqual("1", spec["maps"]!["m"]!["v"]!.GetValue<string>());
        Assert.AreEqual("x", spec["arr"]![0]!["k"]!.GetValue<string>());
        Assert.AreEqual("y", spec["arr"]![1]!["k"]!.GetValue<string>());
        Assert.AreEqual(2, spec["free"]!["any"]!["thing"]![1]!.GetValue<int>(), "x-kubernetes-preserve-unknown-fields keeps everything");
        Assert.AreEqual("b", spec["template"]!["data"]!["a"]!.GetValue<string>());
        Assert.IsNull(spec["unknown"]);
    }

    [TestMethod]
    public async Task StatusSubresource_ValidatesTheStatusSchema()
    {
        var name = NextName();
        var created = await _cluster.PostAsync(CrdFixtures.Path, CrdFixtures.Gadget(name, """{"replicas":2}"""));
        Assert.AreEqual(201, created.Code, created.Body?.ToJsonString());
        var bad = await _cluster.SendAsync(HttpMethod.Patch, $"{CrdFixtures.Path}/{name}/status", """{"status":{"phase":"Sleeping"}}""", "application/merge-patch+json");
        Assert.AreEqual(422, bad.Code, bad.Body?.ToJsonString());
        CollectionAssert.Contains(CrdFixtures.Causes(bad.Body), ("status.phase", "Unsupported value: \"Sleeping\": supported values: \"Ready\", \"Failed\""));
        var good = await _cluster.SendAsync(HttpMethod.Patch, $"{CrdFixtures.Path}/{name}/status", """{"status":{"phase":"Ready"}}""", "application/merge-patch+json");
        Assert.AreEqual(200, good.Code, good.Body?.ToJsonString());
    }

    [TestMethod]
    public async Task Update_RevalidatesChangedFields_AndRatchetsUnchangedOnes()
    {
        var name = NextName();
        var created = await _cluster.PostAsync(CrdFixtures.Path, CrdFixtures.Gadget(name, """{"replicas":2}"""));
        Assert.AreEqual(201, created.Code, created.Body?.ToJsonString());
        var bad = await _cluster.SendAsync(HttpMethod.Patch, $"{CrdFixtures.Path}/{name}", """{"spec":{"replicas":11}}""", "application/merge-patch+json");
        Assert.AreEqual(422, bad.Code, bad.Body?.ToJsonString());
        CollectionAssert.Contains(CrdFixtures.Causes(bad.Body), ("spec.replicas", "Invalid value: 11: spec.replicas in body should be less than or equal to 10"));
    }
}
