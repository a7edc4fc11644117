using System.Text.Json.Nodes;
using Kube.ApiServer.Validation;
using Kube.ApiServer.Validation.Cel;

namespace Kube.ApiServer.Tests.Crd;

/// <summary>The CEL subset behind x-kubernetes-validations: expressions, refusal of what it lacks, and rules on live objects.</summary>
[TestClass]
public sealed class CelRulesTests
{
    private static object? Eval(string rule, string self, string? old = null)
    {
        var (expr, error) = CelRules.Compile(rule);
        Assert.IsNotNull(expr, error);
        var selfValue = CelEvaluator.FromJson(JsonNode.Parse(self), null);
        var oldValue = old is null ? null : CelEvaluator.FromJson(JsonNode.Parse(old), null);
        return new CelEvaluator(new SchemaValidator(), selfValue, oldValue, old is not null).Eval(expr!);
    }

    [TestMethod]
    [DataRow("self.replicas <= self.max", """{"replicas":3,"max":5}""", true)]
    [DataRow("self.replicas * 2 + 1 == 7 && !(self.max % 2 == 0)", """{"replicas":3,"max":5}""", true)]
    [DataRow("has(self.spec) || self.name.startsWith('a')", """{"name":"abc"}""", true)]
    [DataRow("has(self.spec)", """{"name":"abc"}""", false)]
    [DataRow("size(self.name) == 3 && self.name.size() == 3 && size(self.tags) == 2", """{"name":"héé","tags":["a","b"]}""", true)]
    [DataRow("self.name.endsWith('c') && self.name.contains('b') && self.name.matches('^[a-z]+$')", """{"name":"abc"}""", true)]
    [DataRow("self.name.matches('^[a-z]+$')", """{"name":"abc\n"}""", false)]
    [DataRow("'b' in self.tags && !('z' in self.tags) && 'k' in self.labels", """{"tags":["a","b"],"labels":{"k":"v"}}""", true)]
    [DataRow("self.items.all(i, i.port > 0) && self.items.exists(i, i.name == 'b') && self.items.exists_one(i, i.port == 1)", """{"items":[{"name":"a","port":1},{"name":"b","port":2}]}""", true)]
    [DataRow("self.items.map(i, i.port).filter(p, p > 1) == [2]", """{"items":[{"name":"a","port":1},{"name":"b","port":2}]}""", true)]
    [DataRow("self.items.map(i, i.port > 1, i.name) == ['b']", """{"items":[{"name":"a","port":1},{"name":"b","port":2}]}""", true)]
    [DataRow("self.labels.all(k, k.startsWith('app'))", """{"labels":{"app":"1","apps":"2"}}""", true)]
    [DataRow("self.ratio > 0 && self.ratio < 1 && self.count == 2.0", """{"ratio":0.5,"count":2}""", true)]
    [DataRow("self.a ? self.b == 'x' : false", """{"a":true,"b":"x"}""", true)]
    [DataRow("self.missing == 1 || true", """{}""", true)]
    [DataRow("{'a': 1}['a'] == 1 && [1, 2, 3][2] == 3 && 'ab' + \"cd\" == 'abcd' && int('42') == 42 && string(7) == '7'", """{}""", true)]
    [DataRow("self.name.lowerAscii() == 'abc' && self.name.upperAscii() == 'ABC'", """{"name":"aBc"}""", true)]
    [DataRow("self.x == oldSelf.x", """{"x":1}""", true)]
    public void Expression_EvaluatesAsCel(string rule, string self, bool expected)
    {
        var old = rule.Contains("oldSelf", StringComparison.Ordinal) ? self : null;
        Assert.AreEqual(expected, Eval(rule, self, old));
    }

    [TestMethod]
    [DataRow("self.missing == 1", """{}""", "no such key: missing")]
    [DataRow("self.a / 0 == 1", """{"a":1}""", "division by zero")]
    [DataRow("self.a + 9223372036854775807 > 0", """{"a":1}""", "integer overflow")]
    [DataRow("self.a + 1.5 > 0", """{"a":1}""", "no such overload: int + double")]
    [DataRow("self.items.all(i, self.items.all(j, self.items.all(k, self.items.all(l, true))))", """{"items":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39]}""", "operation cancelled: actual cost limit exceeded")]
    public void RuntimeError_IsACelError(string rule, string self, string message)
    {
        var e = Assert.ThrowsExactly<CelException>(() => Eval(rule, self));
        Assert.AreEqual(message, e.Message);
    }

    [TestMethod]
    [DataRow("ip(self.x).family() == 4", "undeclared reference to 'ip' (not in this server's CEL subset)")]
    [DataRow("self.x.isSorted()", "undeclared reference to 'isSorted' (not in this server's CEL subset)")]
    [DataRow("other.x == 1", "undeclared reference to 'other' (in container '')")]
    [DataRow("self.x ==", "Syntax error: unexpected 'end of expression'")]
    [DataRow("b'abc' == self.x", "bytes literals are not supported by this server's CEL subset")]
    [DataRow("has(self)", "invalid argument to has() macro")]
    public void OutsideTheSubset_DoesNotCompile(string rule, string error)
    {
        var (expr, actual) = CelRules.Compile(rule);
        Assert.IsNull(expr);
        Assert.AreEqual(error, actual);
    }

    private const string Crd = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"ranges.cel.example.com"},
         "spec":{"group":"cel.example.com","scope":"Namespaced","names":{"kind":"Range","plural":"ranges"},
           "versions":[{"name":"v1","served":true,"storage":true,
             "schema":{"openAPIV3Schema":{"type":"object","properties":{
               "spec":{"type":"object",
                 "x-kubernetes-validations":[
                   {"rule":"self.min <= self.max","message":"min must not exceed max","fieldPath":".min"},
                   {"rule":"self.max - self.min <= 100","messageExpression":"'range too wide: ' + string(self.max - self.min)"},
                   {"rule":"!has(oldSelf.mode) || self.mode == oldSelf.mode","message":"mode is immutable","reason":"FieldValueForbidden","fieldPath":".mode"}],
                 "properties":{"min":{"type":"integer"},"max":{"type":"integer"},"mode":{"type":"string"},
                   "names":{"type":"array","items":{"type":"string","x-kubernetes-validations":[{"rule":"self.size() <= 3"}]}}}}}}}}]}}
        """;

    [TestMethod]
    public async Task Rules_RunOnCreateAndUpdate_WithMessagesFieldPathsAndReasons()
    {
        await using var cluster = await TestCluster.StartAsync();
        var crd = await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Crd);
        Assert.AreEqual(201, crd.Code, crd.Body?.ToJsonString());
        const string path = "/apis/cel.example.com/v1/namespaces/default/ranges";

        var bad = await cluster.PostAsync(path, """{"apiVersion":"cel.example.com/v1","kind":"Range","metadata":{"name":"r"},"spec":{"min":500,"max":1,"names":["ok","toolong"]}}""");
        Assert.AreEqual(422, bad.Code, bad.Body?.ToJsonString());
        var causes = CrdFixtures.Causes(bad.Body);
        CollectionAssert.Contains(causes, ("spec.min", "Invalid value: \"object\": min must not exceed max"));
        CollectionAssert.Contains(causes, ("spec.names[1]", "Invalid value: \"string\": failed rule: self.size() <= 3"));
        Assert.AreEqual(2, causes.Count, string.Join("\n", causes));

        var wide = await cluster.PostAsync(path, """{"apiVersion":"cel.example.com/v1","kind":"Range","metadata":{"name":"r"},"spec":{"min":0,"max":500}}""");
        CollectionAssert.Contains(CrdFixtures.Causes(wide.Body), ("spec", "Invalid value: \"object\": range too wide: 500"));

        var ok = await cluster.PostAsync(path, """{"apiVersion":"cel.example.com/v1","kind":"Range","metadata":{"name":"r"},"spec":{"min":1,"max":5,"mode":"a"}}""");
        Assert.AreEqual(201, ok.Code, ok.Body?.ToJsonString());
        var change = await cluster.SendAsync(HttpMethod.Patch, path + "/r", """{"spec":{"mode":"b"}}""", "application/merge-patch+json");
        Assert.AreEqual(422, change.Code, change.Body?.ToJsonString());
        CollectionAssert.Contains(CrdFixtures.Causes(change.Body), ("spec.mode", "Forbidden: mode is immutable"));
        var widen = await cluster.SendAsync(HttpMethod.Patch, path + "/r", """{"spec":{"max":50}}""", "application/merge-patch+json");
        Assert.AreEqual(200, widen.Code, widen.Body?.ToJsonString());
    }

    [TestMethod]
    public async Task CrdWithRuleOutsideTheSubset_IsRefusedNamingTheRule()
    {
        await using var cluster = await TestCluster.StartAsync();
        var crd = Crd.Replace("self.min <= self.max", "self.names.isSorted()", StringComparison.Ordinal);
        var r = await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
        Assert.AreEqual(422, r.Code, r.Body?.ToJsonString());
        CollectionAssert.Contains(CrdFixtures.Causes(r.Body), ("spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule",
            "Invalid value: \"self.names.isSorted()\": compilation failed: ERROR: <input>: undeclared reference to 'isSorted' (not in this server's CEL subset)"));
    }
}
