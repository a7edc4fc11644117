using System.Text.Json.Nodes;
using Kube.ApiServer.Validation;
using Kube.ApiServer.Validation.Cel;

namespace Kube.ApiServer.Tests.Crd;

/// <summary>The Kubernetes CEL library functions (quantity, url) and CEL's duration/timestamp in rules, with upstream's results and errors.</summary>
[TestClass]
public sealed class CelLibraryTests
{
    private static object? Eval(string rule, string self, string? schema = null)
    {
        var (expr, error) = CelRules.Compile(rule);
        Assert.IsNotNull(expr, error);
        var value = CelEvaluator.FromJson(JsonNode.Parse(self), schema is null ? null : JsonNode.Parse(schema)!.AsObject());
        return new CelEvaluator(new SchemaValidator(), value, null, false).Eval(expr!);
    }

    [TestMethod]
    [DataRow("quantity(self.cpu).isLessThan(quantity('2')) && quantity(self.cpu).compareTo(quantity('500m')) == 1", """{"cpu":"1500m"}""")]
    [DataRow("quantity('1') == quantity('1000m') && quantity('1Ki') == quantity('1024') && quantity('1k') == quantity('1e3')", """{}""")]
    [DataRow("quantity(self.mem).isGreaterThan(quantity('1Gi')) && quantity(self.mem).asInteger() == 2147483648", """{"mem":"2Gi"}""")]
    [DataRow("quantity('1.5').isInteger() == false && quantity('3').isInteger() && quantity('-2').sign() == -1 && quantity('0').sign() == 0", """{}""")]
    [DataRow("quantity('1').add(quantity('500m')) == quantity('1.5') && quantity('1').add(2) == quantity('3') && quantity('1').sub(quantity('250m')).asApproximateFloat() == 0.75", """{}""")]
    [DataRow("isQuantity(self.cpu) && !isQuantity('1.2.3') && !isQuantity('5 apples') && !isQuantity('')", """{"cpu":"250m"}""")]
    [DataRow("duration('1h30m') == duration('90m') && duration('1.5h').getMinutes() == 90 && duration('2s') > duration('1500ms')", """{}""")]
    [DataRow("duration(self.ttl).getSeconds() == 300 && duration('-1m30s').getSeconds() == -90 && string(duration('1m')) == '60s'", """{"ttl":"5m"}""")]
    [DataRow("timestamp('2024-03-05T10:20:30Z') + duration('1h') == timestamp('2024-03-05T11:20:30Z')", """{}""")]
    [DataRow("timestamp('2024-03-05T10:20:30Z') - timestamp('2024-03-05T10:00:00Z') == duration('20m30s')", """{}""")]
    [DataRow("timestamp('2024-03-05T10:20:30+02:00').getHours() == 8 && timestamp('2024-03-05T10:20:30Z').getHours('+02:00') == 12", """{}""")]
    [DataRow("timestamp('2024-03-05T10:20:30.250Z').getMilliseconds() == 250 && timestamp('2024-03-05T10:20:30Z').getFullYear() == 2024", """{}""")]
    [DataRow("timestamp('2024-03-05T00:00:00Z').getMonth() == 2 && timestamp('2024-03-05T00:00:00Z').getDate() == 5 && timestamp('2024-03-05T00:00:00Z').getDayOfMonth() == 4", """{}""")]
    [DataRow("timestamp('2024-03-05T00:00:00Z').getDayOfWeek() == 2 && timestamp('2024-01-01T00:00:00Z').getDayOfYear() == 0 && int(timestamp('1970-01-01T00:01:00Z')) == 60", """{}""")]
    [DataRow("string(timestamp('2024-03-05T10:20:30.5+01:00')) == '2024-03-05T09:20:30.5Z' && timestamp(60) == timestamp('1970-01-01T00:01:00Z')", """{}""")]
    [DataRow("url(self.u).getScheme() == 'https' && url(self.u).getHost() == 'example.com:8443' && url(self.u).getHostname() == 'example.com' && url(self.u).getPort() == '8443'", """{"u":"https://example.com:8443/a/b?x=1&x=2&y=z"}""")]
    [DataRow("url(self.u).getEscapedPath() == '/a/b' && url(self.u).getQuery() == {'x': ['1', '2'], 'y': ['z']}", """{"u":"https://example.com:8443/a/b?x=1&x=2&y=z"}""")]
    [DataRow("url('https://[::1]:80/').getHostname() == '::1' && url('/just/a/path').getScheme() == '' && url('/just/a/path').getEscapedPath() == '/just/a/path'", """{}""")]
    [DataRow("isURL('https://example.com') && !isURL('example.com') && !isURL('https://example.com/#frag') && !isURL('')", """{}""")]
    public void LibraryFunction_EvaluatesAsUpstream(string rule, string self) => Assert.AreEqual(true, Eval(rule, self));

    [TestMethod]
    [DataRow("quantity('5 apples') == quantity('5')", "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
    [DataRow("quantity('1.5').asInteger() == 1", "cannot convert value to integer")]
    [DataRow("duration('5 minutes') > duration('1m')", "type conversion error from 'string' to 'google.protobuf.Duration'")]
    [DataRow("timestamp('2024-03-05') > timestamp('2024-03-04T00:00:00Z')", "type conversion error from 'string' to 'google.protobuf.Timestamp'")]
    [DataRow("quantity('1') < quantity('2')", "no such overload: kubernetes.Quantity compared with kubernetes.Quantity")]
    [DataRow("duration('1m') + 1 == 2", "no such overload: google.protobuf.Duration + int")]
    [DataRow("url('example.com').getHost() == ''", "URL parse error during conversion from string: parse \"example.com\": invalid URI for request")]
    public void LibraryMisuse_IsACelError(string rule, string message)
    {
        var e = Assert.ThrowsExactly<CelException>(() => Eval(rule, "{}"));
        Assert.AreEqual(message, e.Message);
    }

    [TestMethod]
    public void SchemaFormats_DateTimeAndDuration_AreTimestampsAndDurations()
    {
        const string schema = """{"type":"object","properties":{"start":{"type":"string","format":"date-time"},"every":{"type":"string","format":"duration"},"name":{"type":"string"}}}""";
        const string self = """{"start":"2024-03-05T10:00:00Z","every":"90s","name":"2024-03-05T10:00:00Z"}""";
        Assert.AreEqual(true, Eval("self.start + self.every == timestamp('2024-03-05T10:01:30Z') && self.every.getSeconds() == 90", self, schema));
        Assert.AreEqual(true, Eval("self.name == '2024-03-05T10:00:00Z'", self, schema), "a plain string stays a string");
    }

    private const string Crd = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"budgets.lib.example.com"},
         "spec":{"group":"lib.example.com","scope":"Namespaced","names":{"kind":"Budget","plural":"budgets"},
           "versions":[{"name":"v1","served":true,"storage":true,
             "schema":{"openAPIV3Schema":{"type":"object","properties":{
               "spec":{"type":"object",
                 "x-kubernetes-validations":[
                   {"rule":"quantity(self.request).compareTo(quantity(self.limit)) <= 0","messageExpression":"'request ' + self.request + ' exceeds limit ' + self.limit","fieldPath":".request"},
                   {"rule":"duration(self.timeout) <= duration('1h')","message":"timeout must be at most 1h"},
                   {"rule":"!has(oldSelf.limit) || !quantity(self.limit).isLessThan(quantity(oldSelf.limit))","message":"limit may not shrink"}],
                 "properties":{"request":{"type":"string","maxLength":32},"limit":{"type":"string","maxLength":32},"timeout":{"type":"string","maxLength":32}}}}}}}]}}
        """;

    [TestMethod]
    public async Task Rules_WithQuantitiesDurationsAndTransitions_RunOnLiveObjects()
    {
        await using var cluster = await TestCluster.StartAsync();
        var crd = await cluster.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Crd);
        Assert.AreEqual(201, crd.Code, crd.Body?.ToJsonString());
        const string path = "/apis/lib.example.com/v1/namespaces/default/budgets";

        var bad = await cluster.PostAsync(path, """{"apiVersion":"lib.example.com/v1","kind":"Budget","metadata":{"name":"b"},"spec":{"request":"2Gi","limit":"1Gi","timeout":"2h"}}""");
        Assert.AreEqual(422, bad.Code, bad.Body?.ToJsonString());
        var causes = CrdFixtures.Causes(bad.Body);
        CollectionAssert.Contains(causes, ("spec.request", "Invalid value: \"object\": request 2Gi exceeds limit 1Gi"));
        CollectionAssert.Contains(causes, ("spec", "Invalid value: \"object\": timeout must be at most 1h"));

        var ok = await cluster.PostAsync(path, """{"apiVersion":"lib.example.com/v1","kind":"Budget","metadata":{"name":"b"},"spec":{"request":"500Mi","limit":"1Gi","timeout":"30m"}}""");
        Assert.AreEqual(201, ok.Code, ok.Body?.ToJsonString());
        var shrink = await cluster.SendAsync(HttpMethod.Patch, path + "/b", """{"spec":{"limit":"600Mi"}}""", "application/merge-patch+json");
        Assert.AreEqual(422, shrink.Code, shrink.Body?.ToJsonString());
        CollectionAssert.Contains(CrdFixtures.Causes(shrink.Body), ("spec", "Invalid value: \"object\": limit may not shrink"));
        var grow = await cluster.SendAsync(HttpMethod.Patch, path + "/b", """{"spec":{"limit":"2Gi"}}""", "application/merge-patch+json");
        Assert.AreEqual(200, grow.Code, grow.Body?.ToJsonString());
    }
}
