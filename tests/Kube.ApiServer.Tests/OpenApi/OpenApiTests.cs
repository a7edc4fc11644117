using System.Net.Http.Headers;

namespace Kube.ApiServer.Tests.OpenApi;

/// <summary>/openapi/v3 and /openapi/v2 generated from the model classes (names, descriptions) and from CRD schemas.</summary>
[TestClass]
public sealed class OpenApiTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task Init(TestContext _)
    {
        _cluster = await TestCluster.StartAsync();
        var crd = """
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"things.oa.example.com"},
             "spec":{"group":"oa.example.com","scope":"Namespaced","names":{"plural":"things","singular":"thing","kind":"Thing"},
              "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{
                "spec":{"type":"object","description":"What the thing should be.","properties":{
                  "size":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},
                  "color":{"type":"string","nullable":true}}}}}}}]}}
            """;
        var r = await _cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
    }

    [ClassCleanup]
    public static async Task Cleanup() => await _cluster.DisposeAsync();

    [TestMethod]
    public async Task V3_UsesUpstreamDefinitionNames_AndModelDescriptions()
    {
        var r = await _cluster.GetAsync("/openapi/v3/api/v1");
        Assert.AreEqual(200, r.Code);
        var schemas = r.Body!["components"]!["schemas"]!;
        var pod = schemas["io.k8s.api.core.v1.Pod"]!;
        StringAssert.StartsWith(pod["description"]!.GetValue<string>(), "Pod is a collection of containers");
        Assert.AreEqual("Pod", pod["x-kubernetes-group-version-kind"]![0]!["kind"]!.GetValue<string>());
        Assert.AreEqual("#/components/schemas/io.k8s.api.core.v1.PodSpec", pod["properties"]!["spec"]!["allOf"]![0]!["$ref"]!.GetValue<string>());
        Assert.AreEqual("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", pod["properties"]!["metadata"]!["allOf"]![0]!["$ref"]!.GetValue<string>());
        Assert.IsNotNull(schemas["io.k8s.api.core.v1.Container"], "nested classes are named after their group");
        Assert.IsNotNull(schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]);
        Assert.IsNotNull(schemas["io.k8s.api.core.v1.PodList"]);

        var apps = await _cluster.GetAsync("/openapi/v3/apis/apps/v1");
        var appSchemas = apps.Body!["components"]!["schemas"]!;
        Assert.IsNotNull(appSchemas["io.k8s.api.apps.v1.DeploymentSpec"]);
        Assert.IsNotNull(appSchemas["io.k8s.api.apps.v1.RollingUpdateDeployment"], "a class with no kind of its own takes its referrer's group");
        Assert.IsNotNull(appSchemas["io.k8s.api.core.v1.PodTemplateSpec"]);
        Assert.IsNotNull(appSchemas["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"]);
    }

    [TestMethod]
    public async Task V3_CustomResource_CarriesItsCrdSchema()
    {
        var r = await _cluster.GetAsync("/openapi/v3/apis/oa.example.com/v1");
        Assert.AreEqual(200, r.Code);
        var thing = r.Body!["components"]!["schemas"]!["com.example.oa.v1.Thing"]!;
        Assert.AreEqual("What the thing should be.", thing["properties"]!["spec"]!["description"]!.GetValue<string>());
        Assert.AreEqual("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", thing["properties"]!["metadata"]!["allOf"]![0]!["$ref"]!.GetValue<string>());
        Assert.IsNotNull(r.Body!["components"]!["schemas"]!["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]);
    }

    [TestMethod]
    public async Task V2_IsSwagger2_WithDefinitionsOfEveryGroup_AndNoV3OnlyKeywords()
    {
        var r = await _cluster.GetAsync("/openapi/v2", accept: "application/json");
        Assert.AreEqual(200, r.Code);
        Assert.AreEqual("2.0", r.Body!["swagger"]!.GetValue<string>());
        var defs = r.Body["definitions"]!;
        Assert.IsNotNull(defs["io.k8s.api.core.v1.Pod"]);
        Assert.IsNotNull(defs["io.k8s.api.apps.v1.Deployment"]);
        var thing = defs["com.example.oa.v1.Thing"]!;
        Assert.IsNull(thing["properties"]!["spec"]!["properties"]!["size"]!["anyOf"], "anyOf is not Swagger 2.0");
        Assert.IsNull(thing["properties"]!["spec"]!["properties"]!["color"]!["nullable"]);
        var text = r.Body.ToJsonString();
        Assert.IsFalse(text.Contains("#/components/schemas/", StringComparison.Ordinal), "every reference points at #/definitions/");
        var patch = r.Body["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!["patch"]!;
        Assert.IsTrue(patch["parameters"]!.AsArray().Any(p => p!["name"]!.GetValue<string>() == "body" && p["in"]!.GetValue<string>() == "body"));
        Assert.IsTrue(patch["parameters"]!.AsArray().Any(p => p!["name"]!.GetValue<string>() == "fieldValidation"));

        var etag = r.Response.Headers.ETag!.Tag;
        using var req = new HttpRequestMessage(HttpMethod.Get, "/openapi/v2");
        req.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag));
        using var cached = await _cluster.Http.SendAsync(req);
        Assert.AreEqual(304, (int)cached.StatusCode);
    }

    [TestMethod]
    public async Task V2_OnlyProtobufAccepted_Is406()
    {
        var r = await _cluster.GetAsync("/openapi/v2", accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
        Assert.AreEqual(406, r.Code);
        Assert.AreEqual("NotAcceptable", r.Body!["reason"]!.GetValue<string>());
    }
}
