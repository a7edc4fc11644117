using System.Text.Json.Nodes;

namespace Kube.ApiServer.Tests.Crd;

/// <summary>
/// A test conversion webhook's logic: Server objects keep their host in spec.host in v1 and in spec.hostname in v2.
/// <see cref="Answer"/> is the ConversionReview reply (in the review's own apiVersion) to a request.
/// </summary>
internal static class RenameConverter
{
    /// <summary>A two-version Server CRD in <paramref name="group"/> (v1 stored) with the given <c>spec.conversion</c> JSON.</summary>
    public static string Crd(string group, string conversion) => """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"servers.GROUP"},
         "spec":{"group":"GROUP","scope":"Namespaced","names":{"kind":"Server","plural":"servers"},"conversion":CONVERSION,
           "versions":[
             {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"host":{"type":"string"}}}}}}},
             {"name":"v2","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"hostname":{"type":"string"}}}}}}}]}}
        """.Replace("GROUP", group, StringComparison.Ordinal).Replace("CONVERSION", conversion, StringComparison.Ordinal);

    public static JsonObject Answer(JsonNode review)
    {
        var request = review["request"]!;
        var desired = request["desiredAPIVersion"]!.GetValue<string>();
        var converted = new JsonArray();
        foreach (var o in request["objects"]!.AsArray())
        {
            var obj = o!.DeepClone().AsObject();
            var spec = obj["spec"] as JsonObject;
            var (from, to) = desired.EndsWith("/v2", StringComparison.Ordinal) ? ("host", "hostname") : ("hostname", "host");
            if (spec?[from] is { } value)
            {
                spec.Remove(from);
                spec[to] = value.DeepClone();
            }
            obj["apiVersion"] = desired;
            converted.Add(obj);
        }
        return new JsonObject
        {
            ["apiVersion"] = review["apiVersion"]!.GetValue<string>(), ["kind"] = "ConversionReview",
            ["response"] = new JsonObject
            {
                ["uid"] = request["uid"]!.GetValue<string>(), ["convertedObjects"] = converted, ["result"] = new JsonObject { ["status"] = "Success" },
            },
        };
    }
}
