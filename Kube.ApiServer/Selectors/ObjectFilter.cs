using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;
using Kube.Core.Selectors;

namespace Kube.ApiServer.Selectors;

/// <summary>
/// The list/watch predicate: a namespace, a label selector and a field selector (Kube.Core's parsers), matched
/// against a JSON object. A field is read by its dotted path; a missing field is empty, a missing boolean is false.
/// Parse errors are 400 BadRequest.
/// </summary>
internal sealed class ObjectFilter
{
    private static readonly HashSet<string> BooleanFields = new(StringComparer.Ordinal) { "spec.unschedulable", "spec.hostNetwork" };

    private readonly LabelSelector _labels;
    private readonly FieldSelector _fields;

    private ObjectFilter(string? ns, LabelSelector labels, FieldSelector fields)
    {
        Namespace = ns;
        _labels = labels;
        _fields = fields;
    }

    public static ObjectFilter Everything { get; } = new(null, LabelSelector.Everything, FieldSelector.Everything);

    public string? Namespace { get; }

    public bool HasSelectors => !_labels.IsEverything || !_fields.IsEverything;

    public bool MatchesEverything => Namespace is null && !HasSelectors;

    public static ObjectFilter Create(string? ns, string? labelSelector, string? fieldSelector)
    {
        LabelSelector labels;
        FieldSelector fields;
        try
        {
            labels = LabelSelector.Parse(labelSelector);
        }
        catch (FormatException e)
        {
            throw Errors.BadRequest($"unable to parse requirement: {e.Message}");
        }
        try
        {
            fields = FieldSelector.Parse(fieldSelector);
        }
        catch (FormatException e)
        {
            throw Errors.BadRequest($"invalid field selector: {e.Message}");
        }
        return new ObjectFilter(string.IsNullOrEmpty(ns) ? null : ns, labels, fields);
    }

    public bool Matches(JsonObject obj)
    {
        var meta = obj["metadata"] as JsonObject;
        if (Namespace is not null && Json.Str(meta, "namespace") != Namespace) return false;
        if (!_labels.IsEverything)
        {
            var labels = meta?["labels"] as JsonObject;
            if (!_labels.Matches(k => labels is not null && labels.TryGetPropertyValue(k, out var v) ? Json.Str(v) : null)) return false;
        }
        if (!_fields.IsEverything && !_fields.Matches(f => FieldValue(obj, f))) return false;
        return true;
    }

    private static string? FieldValue(JsonObject obj, string field)
    {
        var v = Json.Path(obj, field.Split('.'));
        if (v is null && BooleanFields.Contains(field)) return "false";
        return v;
    }
}
