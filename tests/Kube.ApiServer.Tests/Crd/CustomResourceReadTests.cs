namespace Kube.ApiServer.Tests.Crd;

/// <summary>Custom objects read from storage get their version's defaults and apiVersion (upstream's None conversion).</summary>
[TestClass]
public sealed class CustomResourceReadTests
{
    private const string CrdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

    private static string Crd(string v1Spec, string v2Spec) => """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"dials.read.example.com"},
         "spec":{"group":"read.example.com","scope":"Namespaced","names":{"kind":"Dial","plural":"dials"},
           "versions":[
             {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":V1SPEC}}}},
             {"name":"v2","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":V2SPEC}}}}]}}
        """.Replace("V1SPEC", v1Spec, StringComparison.Ordinal).Replace("V2SPEC", v2Spec, StringComparison.Ordinal);

    [TestMethod]
    public async Task Reads_ApplyDefaultsAddedLater_AndServeTheAskedVersion()
    {
        await using var cluster = await TestCluster.StartAsync();
        const string plain = """{"type":"object","properties":{"level":{"type":"integer"}}}""";
        Assert.AreEqual(201, (await cluster.PostAsync(CrdPath, Crd(plain, plain))).Code);
        var created = await cluster.PostAsync("/apis/read.example.com/v2/namespaces/default/dials",
            """{"apiVersion":"read.example.com/v2","kind":"Dial","metadata":{"name":"d"},"spec":{"level":1}}""");
        Assert.AreEqual(201, created.Code, created.Body?.ToJsonString());

        var asV1 = await cluster.GetAsync("/apis/read.example.com/v1/namespaces/default/dials/d");
        Assert.AreEqual("read.example.com/v1", asV1.Body!["apiVersion"]!.GetValue<string>());
        var asV2 = await cluster.GetAsync("/apis/read.example.com/v2/namespaces/default/dials/d");
        Assert.AreEqual("read.example.com/v2", asV2.Body!["apiVersion"]!.GetValue<string>());

        const string defaulted = """{"type":"object","properties":{"level":{"type":"integer"},"color":{"type":"string","default":"blue"}}}""";
        var patch = await cluster.SendAsync(HttpMethod.Patch, CrdPath + "/dials.read.example.com",
            """{"spec":""" + System.Text.Json.Nodes.JsonNode.Parse(Crd(plain, defaulted))!["spec"]!.ToJsonString() + "}", "application/merge-patch+json");
        Assert.AreEqual(200, patch.Code, patch.Body?.ToJsonString());

        var v2 = await cluster.GetAsync("/apis/read.example.com/v2/namespaces/default/dials/d");
        Assert.AreEqual("blue", v2.Body!["spec"]!["color"]?.GetValue<string>(), "the v2 default applies to an object stored before it");
        var list = await cluster.GetAsync("/apis/read.example.com/v2/namespaces/default/dials");
        Assert.AreEqual("blue", list.Body!["items"]![0]!["spec"]!["color"]?.GetValue<string>());
        var v1 = await cluster.GetAsync("/apis/read.example.com/v1/namespaces/default/dials/d");
        Assert.IsNull(v1.Body!["spec"]!["color"], "v1 has no such default");
    }

    [TestMethod]
    public async Task TightenedSchema_RatchetsUnchangedValues_ButChecksChangedOnes()
    {
        await using var cluster = await TestCluster.StartAsync();
        const string loose = """{"type":"object","properties":{"level":{"type":"integer"},"note":{"type":"string"}}}""";
        Assert.AreEqual(201, (await cluster.PostAsync(CrdPath, Crd(loose, loose))).Code);
        const string path = "/apis/read.example.com/v1/namespaces/default/dials";
        Assert.AreEqual(201, (await cluster.PostAsync(path, """{"apiVersion":"read.example.com/v1","kind":"Dial","metadata":{"name":"d"},"spec":{"level":50}}""")).Code);

        const string strict = """{"type":"object","properties":{"level":{"type":"integer","maximum":10},"note":{"type":"string"}}}""";
        var patch = await cluster.SendAsync(HttpMethod.Patch, CrdPath + "/dials.read.example.com",
            """{"spec":""" + System.Text.Json.Nodes.JsonNode.Parse(Crd(strict, strict))!["spec"]!.ToJsonString() + "}", "application/merge-patch+json");
        Assert.AreEqual(200, patch.Code, patch.Body?.ToJsonString());

        var other = await cluster.SendAsync(HttpMethod.Patch, path + "/d", """{"spec":{"note":"hi"}}""", "application/merge-patch+json");
        Assert.AreEqual(200, other.Code, "an unchanged invalid value is ratcheted: " + other.Body?.ToJsonString());
        var changed = await cluster.SendAsync(HttpMethod.Patch, path + "/d", """{"spec":{"level":40}}""", "application/merge-patch+json");
        Assert.AreEqual(422, changed.Code, changed.Body?.ToJsonString());
        CollectionAssert.Contains(CrdFixtures.Causes(changed.Body), ("spec.level", "Invalid value: 40: spec.level in body should be less than or equal to 10"));
        var created = await cluster.PostAsync(path, """{"apiVersion":"read.example.com/v1","kind":"Dial","metadata":{"name":"e"},"spec":{"level":50}}""");
        Assert.AreEqual(422, created.Code, "a create has nothing to ratchet against");
    }
}
