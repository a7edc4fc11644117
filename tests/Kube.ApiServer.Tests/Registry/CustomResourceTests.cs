
namespace Kube.ApiServer.Tests.Registry;

[TestClass]
public sealed class CustomResourceTests
{
    private const string Crd = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
         "spec":{"group":"example.com","scope":"Namespaced",
           "names":{"kind":"Widget","plural":"widgets","singular":"widget","shortNames":["wd"],"listKind":"WidgetList"},
           "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
             "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
        """;

    [TestMethod]
    public async Task CreatingACrd_ServesItsResource_AndSurvivesRestart()
    {
        await using var cluster = await TestCluster.StartAsync();
        var crd = await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Crd);
        Assert.AreEqual(201, crd.Code, crd.Body?.ToJsonString());
        Assert.IsTrue(crd.Body!["status"]!["conditions"]!.AsArray().Any(c => c!["type"]!.GetValue<string>() == "Established" && c["status"]!.GetValue<string>() == "True"));

        var widget = await cluster.PostAsync("/apis/example.com/v1/namespaces/default/widgets",
            """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3},"status":{"ready":true}}""");
        Assert.AreEqual(201, widget.Code, widget.Body?.ToJsonString());
        var status = await cluster.SendAsync(HttpMethod.Patch, "/apis/example.com/v1/namespaces/default/widgets/w1/status",
            """{"status":{"ready":true}}""", "application/merge-patch+json");
        Assert.AreEqual(200, status.Code, status.Body?.ToJsonString());
        var discovery = await cluster.GetAsync("/apis/example.com/v1");
        Assert.IsTrue(discovery.Body!["resources"]!.AsArray().Any(r => r!["name"]!.GetValue<string>() == "widgets/status"));

        await using (var second = await KubeApiServer.StartAsync(new ApiServerOptions { Port = 0 }, cluster.Store))
        {
            using var http = new HttpClient { BaseAddress = second.BaseAddress };
            var r = await http.GetAsync("/apis/example.com/v1/namespaces/default/widgets/w1");
            Assert.AreEqual(200, (int)r.StatusCode, "a new server over the same store serves the stored CRDs");
        }

        var deleted = await cluster.SendAsync(HttpMethod.Delete, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
        Assert.AreEqual(200, deleted.Code, deleted.Body?.ToJsonString());
        Assert.AreEqual(404, (await cluster.GetAsync("/apis/example.com/v1/namespaces/default/widgets")).Code);
    }

    [TestMethod]
    public async Task DeletingACrd_DeletesItsObjects_SoARecreatedCrdStartsEmpty()
    {
        await using var cluster = await TestCluster.StartAsync();
        Assert.AreEqual(201, (await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Crd)).Code);
        var widget = await cluster.PostAsync("/apis/example.com/v1/namespaces/default/widgets",
            """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3}}""");
        Assert.AreEqual(201, widget.Code, widget.Body?.ToJsonString());
        var deleted = await cluster.SendAsync(HttpMethod.Delete, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
        Assert.AreEqual(200, deleted.Code, deleted.Body?.ToJsonString());

        Assert.AreEqual(201, (await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Crd)).Code);
        var list = await cluster.GetAsync("/apis/example.com/v1/widgets");
        Assert.AreEqual(200, list.Code, list.Body?.ToJsonString());
        Assert.AreEqual(0, list.Body!["items"]!.AsArray().Count, "the old widget went with its CRD");
    }

    [TestMethod]
    public async Task Kubectl_AppliesCrdThenCustomResource()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);
        var crd = await kubectl.RunArgsAsync("apply", "-f", kubectl.WriteFile("crd.json", Crd));
        Assert.AreEqual(0, crd.ExitCode, crd.Stderr);
        var cr = await kubectl.RunArgsAsync("apply", "-f", kubectl.WriteFile("w.yaml", """
            apiVersion: example.com/v1
            kind: Widget
            metadata:
              name: w1
            spec:
              size: 3
            """));
        Assert.AreEqual(0, cr.ExitCode, cr.Stderr);
        StringAssert.Contains(cr.Stdout, "widget.example.com/w1 created");
        var get = await kubectl.RunArgsAsync("get", "wd");
        Assert.AreEqual(0, get.ExitCode, get.Stderr);
        StringAssert.Contains(get.Stdout, "w1");
        var patch = await kubectl.RunArgsAsync("apply", "-f", kubectl.WriteFile("w2.yaml", """
            apiVersion: example.com/v1
            kind: Widget
            metadata:
              name: w1
            spec:
              size: 4
            """));
        Assert.AreEqual(0, patch.ExitCode, patch.Stderr);
        Assert.AreEqual(4, (await cluster.GetAsync("/apis/example.com/v1/namespaces/default/widgets/w1")).Body!["spec"]!["size"]!.GetValue<int>());
    }

    [TestMethod]
    public async Task AdditionalPrinterColumns_AreTheTableColumns()
    {
        await using var cluster = await TestCluster.StartAsync();
        var crd = Crd.Replace("\"subresources\":{\"status\":{}},", """
            "subresources":{"status":{}},"additionalPrinterColumns":[
              {"name":"Size","type":"integer","jsonPath":".spec.size"},
              {"name":"Color","type":"string","jsonPath":".spec.color","priority":1},
              {"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}],
            """);
        Assert.AreEqual(201, (await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).Code);
        await cluster.PostAsync("/apis/example.com/v1/namespaces/default/widgets",
            """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3,"color":"red"}}""");
        var table = await cluster.GetAsync("/apis/example.com/v1/namespaces/default/widgets", "application/json;as=Table;v=v1;g=meta.k8s.io");
        CollectionAssert.AreEqual(new[] { "Name", "Size", "Color", "Age" },
            table.Body!["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList());
        var cells = table.Body!["rows"]![0]!["cells"]!.AsArray();
        Assert.AreEqual("w1", cells[0]!.GetValue<string>());
        Assert.AreEqual(3, cells[1]!.GetValue<int>());
        Assert.AreEqual("red", cells[2]!.GetValue<string>());
        StringAssert.EndsWith(cells[3]!.GetValue<string>(), "s");
    }

    [TestMethod]
    public async Task AdditionalPrinterColumns_FollowJsonPathFiltersAndIndexes()
    {
        await using var cluster = await TestCluster.StartAsync();
        var crd = Crd.Replace("\"subresources\":{\"status\":{}},", """
            "subresources":{"status":{}},"additionalPrinterColumns":[
              {"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"},
              {"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type=='Synced')].reason"},
              {"name":"Last","type":"string","jsonPath":".status.conditions[-1].type"},
              {"name":"Missing","type":"string","jsonPath":".status.conditions[?(@.type==\"Nope\")].status"}],
            """);
        Assert.AreEqual(201, (await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).Code);
        var w = await cluster.PostAsync("/apis/example.com/v1/namespaces/default/widgets",
            """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{}}""");
        Assert.AreEqual(201, w.Code, w.Body?.ToJsonString());
        var withStatus = w.Body!.AsObject();
        withStatus["status"] = System.Text.Json.Nodes.JsonNode.Parse(
            """{"conditions":[{"type":"Synced","status":"True","reason":"Done.v2"},{"type":"Ready","status":"False"}]}""");
        var status = await cluster.PutAsync("/apis/example.com/v1/namespaces/default/widgets/w1/status", withStatus.ToJsonString());
        Assert.AreEqual(200, status.Code, status.Body?.ToJsonString());
        var table = await cluster.GetAsync("/apis/example.com/v1/namespaces/default/widgets/w1", "application/json;as=Table;v=v1;g=meta.k8s.io");
        var cells = table.Body!["rows"]![0]!["cells"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        CollectionAssert.AreEqual(new[] { "w1", "False", "Done.v2", "Ready", "<none>" }, cells, string.Join(",", cells));
    }

    [TestMethod]
    public async Task StructuralSchema_DefaultsPrunesAndRejects()
    {
        await using var cluster = await TestCluster.StartAsync();
        var crd = Crd.Replace("""{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}""", """
            {"openAPIV3Schema":{"type":"object","properties":{
              "spec":{"type":"object","properties":{"size":{"type":"integer","default":1},"color":{"type":"string"},
                "labels":{"type":"object","additionalProperties":{"type":"string"}}}},
              "status":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}
            """);
        Assert.AreEqual(201, (await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).Code);
        const string path = "/apis/example.com/v1/namespaces/default/widgets";

        var created = await cluster.PostAsync(path, """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"a"},"spec":{"color":"red","foo":1,"labels":{"x":"y"}}}""");
        Assert.AreEqual(201, created.Code, created.Body?.ToJsonString());
        Assert.AreEqual(1, created.Body!["spec"]!["size"]!.GetValue<int>(), "defaults apply");
        Assert.IsNull(created.Body!["spec"]!["foo"], "unknown fields are pruned");
        Assert.AreEqual("y", created.Body!["spec"]!["labels"]!["x"]!.GetValue<string>());

        var strict = await cluster.SendAsync(HttpMethod.Post, path + "?fieldValidation=Strict",
            """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"b"},"spec":{"foo":1}}""");
        Assert.AreEqual(400, strict.Code);
        Assert.AreEqual("strict decoding error: unknown field \"spec.foo\"", strict.Body!["message"]!.GetValue<string>());

        var wrongType = await cluster.PostAsync(path, """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"c"},"spec":{"size":"big"}}""");
        Assert.AreEqual(422, wrongType.Code, wrongType.Body?.ToJsonString());
        Assert.AreEqual("spec.size", wrongType.Body!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
    }
}
