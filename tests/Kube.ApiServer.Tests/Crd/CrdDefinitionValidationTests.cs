namespace Kube.ApiServer.Tests.Crd;

/// <summary>A CustomResourceDefinition itself is validated as apiextensions-apiserver does (structural schema, names, versions).</summary>
[TestClass]
public sealed class CrdDefinitionValidationTests
{
    private const string CrdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    private const string Root = "spec.versions[0].schema.openAPIV3Schema";
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _) => _cluster = await TestCluster.StartAsync();

    [ClassCleanup]
    public static async Task StopAsync() => await _cluster.DisposeAsync();

    [TestMethod]
    [DataRow("""{"type":"object","properties":{"x":{"description":"no type"}}}""", Root + ".properties[spec].properties[x].type", "Required value: must not be empty for specified object fields")]
    [DataRow("""{"type":"array"}""", Root + ".properties[spec].items", "Required value: must be specified")]
    [DataRow("""{"type":"array","items":{"description":"untyped"}}""", Root + ".properties[spec].items.type", "Required value: must not be empty for specified array items")]
    [DataRow("""{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}}""", Root + ".properties[spec].additionalProperties", "Forbidden: additionalProperties and properties are mutual exclusive")]
    [DataRow("""{"type":"object","additionalProperties":false}""", Root + ".properties[spec].additionalProperties", "Forbidden: additionalProperties cannot be set to false")]
    [DataRow("""{"type":"object","properties":{"size":{"type":"integer","default":"big"}}}""", Root + ".properties[spec].properties[size].default", "Invalid value: \"string\":  in body must be of type integer: \"string\"")]
    [DataRow("""{"type":"object","properties":{"size":{"type":"integer","maximum":3,"default":5}}}""", Root + ".properties[spec].properties[size].default", "Invalid value: 5:  in body should be less than or equal to 3")]
    [DataRow("""{"type":"object","default":{"bogus":1},"properties":{"a":{"type":"string"}}}""", Root + ".properties[spec].default", "Invalid value: {\"bogus\":1}: must not have unknown fields: bogus")]
    [DataRow("""{"type":"array","uniqueItems":true,"items":{"type":"string"}}""", Root + ".properties[spec].uniqueItems", "Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic")]
    [DataRow("""{"type":"string","pattern":"^(?=a)b$"}""", Root + ".properties[spec].pattern", "Invalid value: \"^(?=a)b$\": must be a valid regular expression, but isn't: error parsing regexp: invalid or unsupported Perl syntax: `(?=`")]
    [DataRow("""{"type":"strin"}""", Root + ".properties[spec].type", "Unsupported value: \"strin\": supported values: \"array\", \"boolean\", \"integer\", \"number\", \"object\", \"string\"")]
    [DataRow("""{"type":"array","x-kubernetes-list-type":"map","items":{"type":"object","properties":{"k":{"type":"string"}}}}""", Root + ".properties[spec].x-kubernetes-list-map-keys", "Required value: must not be empty if x-kubernetes-list-type is map")]
    [DataRow("""{"type":"array","x-kubernetes-list-type":"bag","items":{"type":"string"}}""", Root + ".properties[spec].x-kubernetes-list-type", "Unsupported value: \"bag\": supported values: \"atomic\", \"set\", \"map\"")]
    [DataRow("""{"type":"object","x-kubernetes-map-type":"loose"}""", Root + ".properties[spec].x-kubernetes-map-type", "Unsupported value: \"loose\": supported values: \"atomic\", \"granular\"")]
    [DataRow("""{"type":"string","x-kubernetes-int-or-string":true}""", Root + ".properties[spec].type", "Invalid value: \"string\": must be empty if x-kubernetes-int-or-string is true")]
    [DataRow("""{"type":"object","anyOf":[{"type":"string"}]}""", Root + ".properties[spec].anyOf[0].type", "Forbidden: must be empty to be structural")]
    [DataRow("""{"type":"object","x-kubernetes-embedded-resource":true}""", Root + ".properties[spec].properties", "Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields")]
    [DataRow("""{"type":"object","x-kubernetes-validations":[{"rule":"self.a == "}],"properties":{"a":{"type":"integer"}}}""", Root + ".properties[spec].x-kubernetes-validations[0].rule", "Invalid value: \"self.a ==\": compilation failed: ERROR: <input>: Syntax error: unexpected 'end of expression'")]
    [DataRow("""{"type":"object","x-kubernetes-validations":[{"rule":"self.b == 1"}],"properties":{"a":{"type":"integer"}}}""", Root + ".properties[spec].x-kubernetes-validations[0].rule", "Invalid value: \"self.b == 1\": compilation failed: ERROR: <input>: undefined field 'b'")]
    [DataRow("""{"type":"object","x-kubernetes-validations":[{"rule":"self.l.all(i, i.x > 0)"}],"properties":{"l":{"type":"array","items":{"type":"object","properties":{"y":{"type":"integer"}}}}}}""", Root + ".properties[spec].x-kubernetes-validations[0].rule", "Invalid value: \"self.l.all(i, i.x > 0)\": compilation failed: ERROR: <input>: undefined field 'x'")]
    [DataRow("""{"type":"object","x-kubernetes-validations":[{"rule":"self.a == 1","fieldPath":".b"}],"properties":{"a":{"type":"integer"}}}""", Root + ".properties[spec].x-kubernetes-validations[0].fieldPath", "Invalid value: \".b\": fieldPath must be a valid path")]
    public async Task InvalidSchema_Is422_AsUpstream(string specSchema, string field, string message)
    {
        var r = await _cluster.PostAsync(CrdPath, CrdFixtures.Crd(specSchema));
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        var causes = CrdFixtures.Causes(r.Body);
        Assert.IsTrue(causes.Contains((field, message)), $"expected {field}: {message}\nactual: {string.Join("\n", causes)}");
        StringAssert.StartsWith(r.Body!["message"]!.GetValue<string>(), "CustomResourceDefinition.apiextensions.k8s.io \"gadgets.valid.example.com\" is invalid: ");
    }

    [TestMethod]
    [DataRow("\"name\":\"gadgets.valid.example.com\"", "\"name\":\"wrong.valid.example.com\"", "metadata.name", "Invalid value: \"wrong.valid.example.com\": must be spec.names.plural+\".\"+spec.group")]
    [DataRow("\"group\":\"valid.example.com\"", "\"group\":\"example\"", "spec.group", "Invalid value: \"example\": should be a domain with at least one dot")]
    [DataRow("\"plural\":\"gadgets\"", "\"plural\":\"Gadgets\"", "spec.names.plural", "Invalid value: \"Gadgets\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")]
    [DataRow("\"scope\":\"Namespaced\"", "\"scope\":\"Everywhere\"", "spec.scope", "Unsupported value: \"Everywhere\": supported values: \"Cluster\", \"Namespaced\"")]
    [DataRow("\"storage\":true", "\"storage\":false", "spec.versions", "Invalid value: [\"v1\"]: must have exactly one version marked as storage version")]
    [DataRow("\"schema\":{\"openAPIV3Schema\"", "\"schemaX\":{\"openAPIV3Schema\"", Root, "Required value: schemas are required")]
    [DataRow("\"subresources\":{\"status\":{}", "\"subresources\":{\"status\":{},\"scale\":{\"specReplicasPath\":\".replicas\",\"statusReplicasPath\":\".status.replicas\"}", "spec.versions[0].subresources.scale.specReplicasPath", "Invalid value: \".replicas\": should be a json path under .spec")]
    [DataRow("\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{", "\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"metadata\":{\"type\":\"object\",\"properties\":{\"labels\":{\"type\":\"object\"}}},", Root + ".properties[metadata]", "Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified")]
    [DataRow("\"openAPIV3Schema\":{\"type\":\"object\"", "\"openAPIV3Schema\":{\"type\":\"string\"", Root + ".type", "Invalid value: \"string\": only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled")]
    public async Task InvalidDefinition_Is422_AsUpstream(string find, string replace, string field, string message)
    {
        var crd = CrdFixtures.Crd("""{"type":"object","properties":{"a":{"type":"string"}}}""");
        Assert.IsTrue(crd.Contains(find, StringComparison.Ordinal), find);
        var r = await _cluster.PostAsync(CrdPath, crd.Replace(find, replace, StringComparison.Ordinal));
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        var causes = CrdFixtures.Causes(r.Body);
        Assert.IsTrue(causes.Contains((field, message)), $"expected {field}: {message}\nactual: {string.Join("\n", causes)}");
    }

    [TestMethod]
    public async Task TwoStorageVersions_AreRefused_AndDefaultsAreSet()
    {
        var crd = CrdFixtures.Crd("""{"type":"object"}""").Replace("\"versions\":[{\"name\":\"v1\"", """
            "versions":[{"name":"v2","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}},{"name":"v1"
            """.Trim(), StringComparison.Ordinal);
        var r = await _cluster.PostAsync(CrdPath, crd);
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        CollectionAssert.Contains(CrdFixtures.Causes(r.Body), ("spec.versions", "Invalid value: [\"v2\",\"v1\"]: must have exactly one version marked as storage version"));

        var ok = await _cluster.PostAsync(CrdPath, CrdFixtures.Crd().Replace("gadgets", "widgets", StringComparison.Ordinal).Replace("Gadget", "Widget", StringComparison.Ordinal));
        Assert.AreEqual(201, ok.Code, ok.Body?.ToJsonString());
        Assert.AreEqual("widget", ok.Body!["spec"]!["names"]!["singular"]!.GetValue<string>());
        Assert.AreEqual("WidgetList", ok.Body!["spec"]!["names"]!["listKind"]!.GetValue<string>());
        Assert.AreEqual("None", ok.Body!["spec"]!["conversion"]!["strategy"]!.GetValue<string>());
    }
}
