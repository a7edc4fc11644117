using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Kube.ApiServer.Apply;

/// <summary>Reads an apply configuration (or a YAML request body): JSON, or YAML (a single document) converted with YAML 1.2 core-schema scalars.</summary>
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
        return ParseYaml(text) as JsonObject ?? throw Errors.BadRequest("the apply configuration must be an object");
    }

    /// <summary>
    /// One YAML document as JSON, built from the parser's events with an explicit stack (never recursion, so a deeply
    /// nested body cannot exhaust the thread's stack): more than 256 levels is 400, as are aliases and several documents.
    /// </summary>
    public static JsonNode? ParseYaml(string text)
    {
        try
        {
            return ParseYamlEvents(text);
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException or ArgumentException or FormatException)
        {
            // The parser reports some malformed input (a stray "..." or "---" in odd places) as an invalid state.
            throw Errors.BadRequest($"error decoding YAML: {e.Message}");
        }
    }

    private static JsonNode? ParseYamlEvents(string text)
    {
        var parser = new Parser(new StringReader(text));
        var stack = new Stack<(JsonNode Container, string? PendingKey)>();
        JsonNode? root = null;
        var documents = 0;
        while (parser.MoveNext())
        {
            var e = parser.Current!;
            switch (e)
            {
                case StreamStart or StreamEnd or DocumentEnd or Comment:
                    continue;
                case DocumentStart:
                    if (++documents > 1) throw Errors.BadRequest("the apply configuration must be exactly one YAML document");
                    continue;
                case AnchorAlias:
                    throw Errors.BadRequest("unsupported YAML node (aliases are not accepted)");
                case MappingStart or SequenceStart:
                {
                    if (stack.Count >= MaxDepth) throw Errors.BadRequest("the apply configuration is nested too deeply");
                    JsonNode container = e is MappingStart ? new JsonObject() : new JsonArray();
                    Add(stack, container, ref root);
                    stack.Push((container, null));
                    continue;
                }
                case MappingEnd or SequenceEnd:
                    stack.Pop();
                    continue;
                case Scalar scalar:
                    if (stack.Count > 0 && stack.Peek() is { Container: JsonObject, PendingKey: null } top)
                    {
                        var key = scalar.Value ?? "";
                        if (((JsonObject)top.Container).ContainsKey(key)) throw Errors.BadRequest($"duplicate field \"{key}\"");
                        stack.Pop();
                        stack.Push((top.Container, key));
                        continue;
                    }
                    Add(stack, Scalar(scalar), ref root);
                    continue;
            }
        }
        if (documents == 0) throw Errors.BadRequest("the apply configuration must be exactly one YAML document");
        return root;
    }

    private static void Add(Stack<(JsonNode Container, string? PendingKey)> stack, JsonNode? value, ref JsonNode? root)
    {
        if (stack.Count == 0)
        {
            root = value;
            return;
        }
        var (container, key) = stack.Pop();
        if (container is JsonArray a)
        {
            a.Add(value);
            stack.Push((container, null));
            return;
        }
        if (key is null) throw Errors.BadRequest("YAML mapping keys must be scalars");
        ((JsonObject)container)[key] = value;
        stack.Push((container, null));
    }

    private static JsonNode? Scalar(Scalar s)
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
