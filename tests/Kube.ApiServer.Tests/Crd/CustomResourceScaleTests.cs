namespace Kube.ApiServer.Tests.Crd;

/// <summary>The /scale subresource of a custom resource reads and writes the CRD's specReplicasPath/statusReplicasPath.</summary>
[TestClass]
public sealed class CustomResourceScaleTests
{
    private const string Crd = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"pools.scale.example.com"},
         "spec":{"group":"scale.example.com","scope":"Namespaced","names":{"kind":"Pool","plural":"pools"},
           "versions":[{"name":"v1","served":true,"storage":true,
             "subresources":{"status":{},"scale":{"specReplicasPath":".spec.size","statusReplicasPath":".status.count","labelSelectorPath":".status.selector"}},
             "schema":{"openAPIV3Schema":{"type":"object","properties":{
               "spec":{"type":"object","properties":{"size":{"type":"integer","maximum":5}}},
               "status":{"type":"object","properties":{"count":{"type":"integer"},"selector":{"type":"string"}}}}}}}]}}
        """;

    [TestMethod]
    public async Task Scale_UsesTheCrdReplicaPaths_AndTheSchemaStillApplies()
    {
        await using var cluster = await TestCluster.StartAsync();
        Assert.AreEqual(201, (await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Crd)).Code);
        const string path = "/apis/scale.example.com/v1/namespaces/default/pools";
        var created = await cluster.PostAsync(path, """{"apiVersion":"scale.example.com/v1","kind":"Pool","metadata":{"name":"p"},"spec":{"size":2}}""");
        Assert.AreEqual(201, created.Code, created.Body?.ToJsonString());
        var status = await cluster.SendAsync(HttpMethod.Patch, path + "/p/status", """{"status":{"count":1,"selector":"app=p"}}""", "application/merge-patch+json");
        Assert.AreEqual(200, status.Code, status.Body?.ToJsonString());

        var scale = await cluster.GetAsync(path + "/p/scale");
        Assert.AreEqual(200, scale.Code, scale.Body?.ToJsonString());
        Assert.AreEqual(2, scale.Body!["spec"]!["replicas"]!.GetValue<int>());
        Assert.AreEqual(1, scale.Body!["status"]!["replicas"]!.GetValue<int>());
        Assert.AreEqual("app=p", scale.Body!["status"]!["selector"]!.GetValue<string>());

        var scaled = await cluster.SendAsync(HttpMethod.Patch, path + "/p/scale", """{"spec":{"replicas":4}}""", "application/merge-patch+json");
        Assert.AreEqual(200, scaled.Code, scaled.Body?.ToJsonString());
        Assert.AreEqual(4, (await cluster.GetAsync(path + "/p")).Body!["spec"]!["size"]!.GetValue<int>());

        var tooMany = await cluster.SendAsync(HttpMethod.Patch, path + "/p/scale", """{"spec":{"replicas":9}}""", "application/merge-patch+json");
        Assert.AreEqual(422, tooMany.Code, tooMany.Body?.ToJsonString());
        CollectionAssert.Contains(CrdFixtures.Causes(tooMany.Body), ("spec.size", "Invalid value: 9: spec.size in body should be less than or equal to 5"));
    }
}
