using System.Text;
using k8s;
using k8s.Models;

namespace Kube.Core.Selectors;

/// <summary>
/// A parsed field selector with the semantics of apimachinery's <c>fields.Selector</c>: requirements are ANDed.
/// </summary>
/// <remarks>
/// Syntax (<see cref="Parse"/>): comma-separated <c>field=value</c>, <c>field==value</c> or <c>field!=value</c>.
/// Fields are dotted paths (<c>[A-Za-z0-9._-]</c>, e.g. <c>metadata.name</c>, <c>spec.nodeName</c>). In values,
/// <c>\,</c>, <c>\=</c> and <c>\\</c> escape those characters; values may be empty. Which fields a resource supports
/// is for the server to decide (<see cref="Fields"/> gives the common ones). Bad input throws a
/// <see cref="FormatException"/> that names the offending token and its position.
/// </remarks>
public sealed class FieldSelector
{
    private FieldSelector(IReadOnlyList<FieldRequirement> requirements) => Requirements = requirements;

    /// <summary>Selects every object.</summary>
    public static FieldSelector Everything { get; } = new([]);

    /// <summary>The requirements, in the order written.</summary>
    public IReadOnlyList<FieldRequirement> Requirements { get; }

    public bool IsEverything => Requirements.Count == 0;

    /// <summary>True when every requirement holds; a field <paramref name="lookup"/> does not know counts as empty.</summary>
    public bool Matches(Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        foreach (var r in Requirements)
        {
            if (!r.Matches(lookup(r.Field))) return false;
        }

        return true;
    }

    /// <summary>Matches against a map of field values (missing fields count as empty).</summary>
    public bool Matches(IDictionary<string, string>? fields) =>
        Matches(f => fields is not null && fields.TryGetValue(f, out var v) ? v : null);

    /// <summary>Matches an object with <see cref="Fields"/>: metadata.name, metadata.namespace and common per-kind fields.</summary>
    public bool Matches(IKubernetesObject<V1ObjectMeta> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return Matches(f => Fields.Get(obj, f));
    }

    /// <summary>The value the selector requires for <paramref name="field"/> with =, if any (e.g. to pick an index).</summary>
    public string? RequiresExactMatch(string field) =>
        Requirements.FirstOrDefault(r => r.Field == field && r.Operator == FieldSelectorOperator.Equals)?.Value;

    public static bool TryParse(string? text, out FieldSelector selector)
    {
        try
        {
            selector = Parse(text);
            return true;
        }
        catch (FormatException)
        {
            selector = Everything;
            return false;
        }
    }

    /// <summary>Parses the selector syntax; null or blank selects everything.</summary>
    /// <exception cref="FormatException">The text is not a valid selector; the message names the bad token.</exception>
    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var reqs = new List<FieldRequirement>();
        var pos = 0;
        while (true)
        {
            var start = pos;
            // the field: up to an operator
            while (pos < text.Length && text[pos] is not ('=' or '!' or ',')) pos++;
            var field = text[start..pos].Trim();
            if (field.Length == 0)
                throw Fail(text, start, pos < text.Length ? $"expected a field name but found '{text[pos]}'" : "expected a field name at the end");
            foreach (var c in field)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
                    throw Fail(text, start, $"invalid field name '{field}': only letters, digits, '.', '-' and '_' are allowed");
            }

            FieldSelectorOperator op;
            if (pos >= text.Length || text[pos] == ',')
                throw Fail(text, pos, $"field '{field}' has no operator; expected =, == or !=");
            if (text[pos] == '!')
            {
                if (pos + 1 >= text.Length || text[pos + 1] != '=') throw Fail(text, pos, $"unexpected '!' after field '{field}'; expected !=");
                op = FieldSelectorOperator.NotEquals;
                pos += 2;
            }
            else
            {
                op = FieldSelectorOperator.Equals;
                pos += pos + 1 < text.Length && text[pos + 1] == '=' ? 2 : 1;
            }

            var value = new StringBuilder();
            while (pos < text.Length && text[pos] != ',')
            {
                var c = text[pos];
                if (c == '\\')
                {
                    if (pos + 1 >= text.Length || text[pos + 1] is not ('\\' or ',' or '='))
                        throw Fail(text, pos, $"invalid escape '{text.Substring(pos, Math.Min(2, text.Length - pos))}' in the value of '{field}'; only \\\\, \\, and \\= are allowed");
                    value.Append(text[pos + 1]);
                    pos += 2;
                    continue;
                }

                if (c is '=' or '!' && (c == '=' || (pos + 1 < text.Length && text[pos + 1] == '=')))
                    throw Fail(text, pos, $"unexpected operator '{(c == '=' ? "=" : "!=")}' in the value of '{field}'; escape '=' as '\\='");
                value.Append(c);
                pos++;
            }

            reqs.Add(new FieldRequirement(field, op, value.ToString()));
            if (pos >= text.Length) break;
            pos++; // ','
            if (pos >= text.Length || string.IsNullOrWhiteSpace(text[pos..]))
                throw Fail(text, pos, "expected a requirement after ','");
        }

        return new FieldSelector(reqs);
    }

    /// <summary>The canonical text: the requirements joined by commas, values escaped.</summary>
    public override string ToString() => string.Join(',', Requirements);

    private static FormatException Fail(string text, int pos, string message) =>
        new($"Invalid field selector \"{text}\" at position {pos}: {message}.");
}
