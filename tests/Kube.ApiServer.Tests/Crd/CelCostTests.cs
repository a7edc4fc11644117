using Kube.ApiServer.Validation.Cel;

namespace Kube.ApiServer.Tests.Crd;

/// <summary>CEL cost: a CRD whose rule could cost more than upstream's per-expression budget is refused unless its schema bounds the data.</summary>
[TestClass]
public sealed class CelCostTests
{
    private static string Crd(string name, string listBounds, string itemBounds, string rule) => """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"NAMEs.cost.example.com"},
         "spec":{"group":"cost.example.com","scope":"Namespaced","names":{"kind":"KIND","plural":"NAMEs"},
           "versions":[{"name":"v1","served":true,"storage":true,
             "schema":{"openAPIV3Schema":{"type":"object","properties":{
               "spec":{"type":"object","properties":{
                 "hosts":{"type":"array"LISTBOUNDS,"items":{"type":"string"ITEMBOUNDS},"x-kubernetes-validations":[{"rule":"RULE"}]}}}}}}}]}}
        """.Replace("NAME", name, StringComparison.Ordinal).Replace("KIND", char.ToUpperInvariant(name[0]) + name[1..], StringComparison.Ordinal)
        .Replace("LISTBOUNDS", listBounds, StringComparison.Ordinal).Replace("ITEMBOUNDS", itemBounds, StringComparison.Ordinal).Replace("RULE", rule, StringComparison.Ordinal);

    private const string RulePath = "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[hosts].x-kubernetes-validations[0].rule";

    [TestMethod]
    public async Task RuleOverUnboundedData_IsRefused_AndAcceptedOnceTheSchemaBoundsIt()
    {
        await using var cluster = await TestCluster.StartAsync();
        const string rule = "self.all(h, h.matches('^[a-z0-9.-]+$'))";
        var unbounded = await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Crd("unbounded", "", "", rule));
        Assert.AreEqual(422, unbounded.Code, unbounded.Body?.ToJsonString());
        CollectionAssert.Contains(CrdFixtures.Causes(unbounded.Body), (RulePath,
            "Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"));

        var bounded = await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Crd("bounded", ",\"maxItems\":16", ",\"maxLength\":253", rule));
        Assert.AreEqual(201, bounded.Code, bounded.Body?.ToJsonString());

        var cheap = await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Crd("cheap", "", "", "size(self) <= 100"));
        Assert.AreEqual(201, cheap.Code, "a rule that does not scan the data costs little however large it is: " + cheap.Body?.ToJsonString());

        // The bounded rule still runs: a bad host is refused on create.
        var bad = await cluster.PostAsync("/apis/cost.example.com/v1/namespaces/default/boundeds",
            """{"apiVersion":"cost.example.com/v1","kind":"Bounded","metadata":{"name":"b"},"spec":{"hosts":["ok.example.com","Not_OK"]}}""");
        Assert.AreEqual(422, bad.Code, bad.Body?.ToJsonString());
    }

    [TestMethod]
    public async Task CheapRuleOnEveryItemOfAnUnboundedList_ExceedsTheCrdTotal()
    {
        await using var cluster = await TestCluster.StartAsync();
        var crd = Crd("perhost", "", ",\"x-kubernetes-validations\":[{\"rule\":\"self.startsWith('a')\"}]", "size(self) > 0");
        var refused = await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
        Assert.AreEqual(422, refused.Code, refused.Body?.ToJsonString());
        var causes = CrdFixtures.Causes(refused.Body);
        CollectionAssert.Contains(causes, ("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[hosts].items.x-kubernetes-validations[0].rule",
            "Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"));
        CollectionAssert.Contains(causes, ("spec.versions[0].schema.openAPIV3Schema",
            "Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"));

        var bounded = await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            crd.Replace("\"type\":\"array\"", "\"type\":\"array\",\"maxItems\":100", StringComparison.Ordinal));
        Assert.AreEqual(201, bounded.Code, bounded.Body?.ToJsonString());
    }

    [TestMethod]
    public void Estimate_GrowsWithTheSchemasBounds()
    {
        var (expr, _) = CelRules.Compile("self.all(h, h.contains('x'))");
        var small = CelCost.Estimate(expr!, System.Text.Json.Nodes.JsonNode.Parse("""{"type":"array","maxItems":10,"items":{"type":"string","maxLength":10}}""")!.AsObject());
        var large = CelCost.Estimate(expr!, System.Text.Json.Nodes.JsonNode.Parse("""{"type":"array","maxItems":100,"items":{"type":"string","maxLength":100}}""")!.AsObject());
        Assert.IsTrue(small > 0 && large > 20 * small, $"small {small}, large {large}");
    }

    [TestMethod]
    [DataRow(25_000_000d, "2.5x")]
    [DataRow(12_000_000d, "1.200000x")]
    [DataRow(2_000_000_000d, "more than 100x")]
    public void ErrorMessage_FormatsTheFactorAsUpstream(double cost, string factor) =>
        StringAssert.StartsWith(CelCost.ErrorMessage("estimated rule cost", cost, CelCost.StaticEstimatedCostLimit), $"estimated rule cost exceeds budget by factor of {factor} (");
}
