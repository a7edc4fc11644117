using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kube.ApiServer.Apply;

/// <summary>Reads an apply configuration: JSON, or YAML (a single document) converted with YAML 1.2 core-schema scalars.</summary>
internal static class ApplyBody
{
    private const int MaxDepth = 256;

    public static JsonObject Parse(string text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                return JsonNode.Parse(text, Json.NodeOptions, Json.DocumentOptions) as JsonObject
                    ?? throw Errors.BadRequest("the apply configuration must be an object");
            }
            catch (JsonException)
            {
                // Not JSON after all: YAML flow mappings start with '{' too.
            }
        }
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count != 1) throw Errors.BadRequest("the apply configuration must be exactly one YAML document");
            return Convert(stream.Documents[0].RootNode, 0) as JsonObject
                ?? throw Errors.BadRequest("the apply configuration must be an object");
        }
        catch (YamlException e)
        {
            throw Errors.BadRequest($"error decoding YAML: {e.Message}");
        }
    }

    private static JsonNode? Convert(YamlNode node, int depth)
    {
        if (depth > MaxDepth) throw Errors.BadRequest("the apply configuration is nested too deeply");
        switch (node)
        {
            case YamlMappingNode map:
            {
                var o = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    var key = k is YamlScalarNode ks ? ks.Value ?? "" : throw Errors.BadRequest("YAML mapping keys must be scalars");
                    if (o.ContainsKey(key)) throw Errors.BadRequest($"duplicate field \"{key}\"");
                    o[key] = Convert(v, depth + 1);
                }
                return o;
            }
            case YamlSequenceNode seq:
            {
                var a = new JsonArray();
                foreach (var item in seq.Children) a.Add(Convert(item, depth + 1));
                return a;
            }
            case YamlScalarNode s:
                return Scalar(s);
            default:
                throw Errors.BadRequest("unsupported YAML node (aliases are not accepted)");
        }
    }

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(v);
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (v.Length > 0 && (char.IsDigit(v[0]) || v[0] is '-' or '+' or '.') && v.Any(char.IsDigit)
            && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
