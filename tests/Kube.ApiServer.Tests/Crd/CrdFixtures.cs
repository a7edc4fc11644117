using System.Text.Json.Nodes;

namespace Kube.ApiServer.Tests.Crd;

/// <summary>CRDs for the validation tests: one rich spec schema, and a builder for CRDs with a given version list.</summary>
internal static class CrdFixtures
{
    public const string Path = "/apis/valid.example.com/v1/namespaces/default/gadgets";

    public const string SpecSchema = """
        {"type":"object","properties":{
          "replicas":{"type":"integer","minimum":1,"maximum":10},
          "ratio":{"type":"number","minimum":0,"exclusiveMinimum":true,"maximum":1,"exclusiveMaximum":true},
          "step":{"type":"integer","multipleOf":5},
          "mode":{"type":"string","enum":["a","b"]},
          "name":{"type":"string","pattern":"^[a-z]+$","minLength":2,"maxLength":5},
          "title":{"type":"string","maxLength":3},
          "items":{"type":"array","minItems":1,"maxItems":3,"items":{"type":"string"}},
          "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
          "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
            "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"port":{"type":"integer"},
              "protocol":{"type":"string","default":"TCP"}}}},
          "labels":{"type":"object","minProperties":1,"maxProperties":2,"additionalProperties":{"type":"string"}},
          "maps":{"type":"object","additionalProperties":{"type":"object","properties":{"v":{"type":"string"}}}},
          "id":{"type":"string","format":"uuid"},
          "ip":{"type":"string","format":"ipv4"},
          "when":{"type":"string","format":"date-time"},
          "size":{"x-kubernetes-int-or-string":true},
          "opt":{"type":"string","nullable":true},
          "child":{"type":"object","required":["a"],"properties":{"a":{"type":"string"}}},
          "choice":{"type":"object","properties":{"x":{"type":"string"},"y":{"type":"string"}},"anyOf":[{"required":["x"]},{"required":["y"]}]},
          "one":{"type":"object","properties":{"x":{"type":"string"},"y":{"type":"string"}},"oneOf":[{"required":["x"]},{"required":["y"]}]},
          "neg":{"type":"string","not":{"enum":["forbidden"]}},
          "template":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true},
          "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
          "defaulted":{"type":"string","default":"hello"},
          "nested":{"type":"object","properties":{"inner":{"type":"object","default":{},"properties":{"d":{"type":"integer","default":7}}}}},
          "arr":{"type":"array","items":{"type":"object","properties":{"k":{"type":"string","default":"x"}}}}
        }}
        """;

    /// <summary>A CRD for gadgets.valid.example.com with the given spec schema.</summary>
    public static string Crd(string specSchema = SpecSchema) => CrdTemplate.Replace("SPEC_SCHEMA", specSchema, StringComparison.Ordinal);

    private const string CrdTemplate = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"gadgets.valid.example.com"},
         "spec":{"group":"valid.example.com","scope":"Namespaced","names":{"kind":"Gadget","plural":"gadgets"},
           "versions":[{"name":"v1","served":true,"storage":true,
             "subresources":{"status":{}},
             "schema":{"openAPIV3Schema":{"type":"object","properties":{
               "spec":SPEC_SCHEMA,
               "status":{"type":"object","properties":{"phase":{"type":"string","enum":["Ready","Failed"]},"replicas":{"type":"integer"}}}}}}}]}}
        """;

    public static string Gadget(string name, string spec) =>
        """{"apiVersion":"valid.example.com/v1","kind":"Gadget","metadata":{"name":"NAME"},"spec":SPEC}""".Replace("NAME", name, StringComparison.Ordinal).Replace("SPEC", spec, StringComparison.Ordinal);

    public static List<(string Field, string Message)> Causes(JsonNode? status) =>
        status?["details"]?["causes"]?.AsArray().Select(c => (c!["field"]?.GetValue<string>() ?? "", c["message"]!.GetValue<string>())).ToList() ?? [];
}
