using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Kube.Core.Selectors;

/// <summary>
/// A parsed label selector with the semantics of apimachinery's <c>labels.Selector</c>: the requirements are ANDed.
/// </summary>
/// <remarks>
/// Syntax (<see cref="Parse"/>): comma-separated requirements, each one of <c>key=value</c>, <c>key==value</c>,
/// <c>key!=value</c>, <c>key in (v1,v2)</c>, <c>key notin (v1,v2)</c>, <c>key</c>, <c>!key</c>, <c>key&gt;N</c>,
/// <c>key&lt;N</c>. Keys are qualified names (<c>[prefix/]name</c>), values are label values (at most 63 characters,
/// alphanumerics with <c>-_.</c> inside, or empty). An empty string selects everything. Bad input throws a
/// <see cref="FormatException"/> that names the offending token and its position.
/// </remarks>
public sealed partial class LabelSelector
{
    private const string Delimiters = " \t\r\n,=!()<>";
    private readonly bool _nothing;

    private LabelSelector(IReadOnlyList<LabelRequirement> requirements, bool nothing = false)
    {
        Requirements = requirements;
        _nothing = nothing;
    }

    /// <summary>Selects every object.</summary>
    public static LabelSelector Everything { get; } = new([]);

    /// <summary>Selects no object (what a null <see cref="V1LabelSelector"/> means).</summary>
    public static LabelSelector Nothing { get; } = new([], nothing: true);

    /// <summary>The requirements, sorted by key.</summary>
    public IReadOnlyList<LabelRequirement> Requirements { get; }

    /// <summary>True when the selector has no requirements and selects everything.</summary>
    public bool IsEverything => !_nothing && Requirements.Count == 0;

    public bool Matches(IDictionary<string, string>? labels) =>
        Matches(key => labels is not null && labels.TryGetValue(key, out var v) ? v : null);

    public bool Matches(Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        if (_nothing) return false;
        foreach (var r in Requirements)
        {
            if (!r.Matches(lookup)) return false;
        }

        return true;
    }

    /// <summary>A selector requiring every label of <paramref name="labels"/> with its value.</summary>
    public static LabelSelector FromSet(IDictionary<string, string>? labels)
    {
        if (labels is null || labels.Count == 0) return Everything;
        var reqs = new List<LabelRequirement>();
        foreach (var (k, v) in labels)
        {
            ValidateKey(k, "", 0);
            ValidateValue(v, "", 0);
            reqs.Add(new LabelRequirement(k, LabelSelectorOperator.Equals, [v]));
        }

        return new LabelSelector(Sort(reqs));
    }

    /// <summary>
    /// Converts a <see cref="V1LabelSelector"/> as <c>metav1.LabelSelectorAsSelector</c>: null selects nothing, an
    /// empty selector selects everything; matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist) are ANDed.
    /// </summary>
    public static LabelSelector FromLabelSelector(V1LabelSelector? selector)
    {
        if (selector is null) return Nothing;
        var reqs = new List<LabelRequirement>();
        if (selector.MatchLabels is not null)
        {
            foreach (var (k, v) in selector.MatchLabels)
            {
                ValidateKey(k, "matchLabels", 0);
                ValidateValue(v, "matchLabels", 0);
                reqs.Add(new LabelRequirement(k, LabelSelectorOperator.Equals, [v]));
            }
        }

        foreach (var e in selector.MatchExpressions ?? [])
        {
            ValidateKey(e.Key ?? "", "matchExpressions", 0);
            var values = (e.Values ?? []).ToArray();
            var op = e.OperatorProperty switch
            {
                "In" => LabelSelectorOperator.In,
                "NotIn" => LabelSelectorOperator.NotIn,
                "Exists" => LabelSelectorOperator.Exists,
                "DoesNotExist" => LabelSelectorOperator.DoesNotExist,
                var other => throw new FormatException($"Invalid label selector: operator \"{other}\" of key \"{e.Key}\" is not one of In, NotIn, Exists, DoesNotExist."),
            };
            if (op is LabelSelectorOperator.In or LabelSelectorOperator.NotIn && values.Length == 0)
                throw new FormatException($"Invalid label selector: operator {e.OperatorProperty} of key \"{e.Key}\" needs at least one value.");
            if (op is LabelSelectorOperator.Exists or LabelSelectorOperator.DoesNotExist && values.Length != 0)
                throw new FormatException($"Invalid label selector: operator {e.OperatorProperty} of key \"{e.Key}\" takes no values.");
            foreach (var v in values) ValidateValue(v, "matchExpressions", 0);
            reqs.Add(new LabelRequirement(e.Key!, op, Distinct(values)));
        }

        return new LabelSelector(Sort(reqs));
    }

    public static bool TryParse(string? text, out LabelSelector selector)
    {
        try
        {
            selector = Parse(text);
            return true;
        }
        catch (FormatException)
        {
            selector = Nothing;
            return false;
        }
    }

    /// <summary>Parses the selector syntax; null or blank selects everything.</summary>
    /// <exception cref="FormatException">The text is not a valid selector; the message names the bad token.</exception>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var p = new Parser(text);
        var reqs = new List<LabelRequirement>();
        while (true)
        {
            p.SkipSpace();
            reqs.Add(p.ReadRequirement());
            p.SkipSpace();
            if (p.AtEnd) break;
            if (p.Peek != ',') throw p.Error($"unexpected '{p.Rest(1)}'; expected ',' between requirements");
            p.Pos++;
            p.SkipSpace();
            if (p.AtEnd) throw p.Error("expected a requirement after ','");
        }

        return new LabelSelector(Sort(reqs));
    }

    /// <summary>The canonical text: requirements sorted by key, joined by commas. Parsing it gives an equal selector.</summary>
    public override string ToString() => _nothing ? "<nothing>" : string.Join(',', Requirements);

    public override bool Equals(object? obj) => obj is LabelSelector o && o._nothing == _nothing && o.ToString() == ToString();

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    private static LabelRequirement[] Sort(List<LabelRequirement> reqs) =>
        reqs.OrderBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.Operator).ToArray();

    private static string[] Distinct(IEnumerable<string> values) => values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    internal static void ValidateKey(string key, string text, int pos)
    {
        var slash = key.IndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        var prefix = slash < 0 ? null : key[..slash];
        if (name.Length == 0 || name.Length > 63 || !NameRegex().IsMatch(name))
            throw Fail(text, pos, $"invalid label key \"{key}\": the name part must be 1-63 characters of [A-Za-z0-9-_.], starting and ending with an alphanumeric");
        if (prefix is not null && (prefix.Length == 0 || prefix.Length > 253 || !DnsSubdomainRegex().IsMatch(prefix)))
            throw Fail(text, pos, $"invalid label key \"{key}\": the prefix must be a DNS subdomain (lower-case, at most 253 characters)");
    }

    internal static void ValidateValue(string value, string text, int pos)
    {
        if (value.Length > 63 || (value.Length > 0 && !NameRegex().IsMatch(value)))
            throw Fail(text, pos, $"invalid label value \"{value}\": must be at most 63 characters of [A-Za-z0-9-_.], starting and ending with an alphanumeric");
    }

    private static FormatException Fail(string text, int pos, string message) =>
        new(text.Length == 0 ? $"Invalid label selector: {message}." : $"Invalid label selector \"{text}\" at position {pos}: {message}.");

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex NameRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomainRegex();

    private sealed class Parser(string text)
    {
        public int Pos;

        public bool AtEnd => Pos >= text.Length;

        public char Peek => text[Pos];

        public string Rest(int max) => text.Substring(Pos, Math.Min(max, text.Length - Pos));

        public FormatException Error(string message) => Fail(text, Pos, message);

        public void SkipSpace()
        {
            while (!AtEnd && char.IsWhiteSpace(Peek)) Pos++;
        }

        private string ReadWord()
        {
            var start = Pos;
            while (!AtEnd && !Delimiters.Contains(Peek)) Pos++;
            return text[start..Pos];
        }

        private bool TryConsume(string s)
        {
            if (string.CompareOrdinal(text, Pos, s, 0, s.Length) != 0) return false;
            Pos += s.Length;
            return true;
        }

        private string ReadKey()
        {
            SkipSpace();
            var start = Pos;
            var key = ReadWord();
            if (key.Length == 0) throw Error(AtEnd ? "expected a label key at the end" : $"expected a label key but found '{Rest(1)}'");
            ValidateKey(key, text, start);
            return key;
        }

        private string ReadValue()
        {
            SkipSpace();
            var start = Pos;
            var value = ReadWord();
            ValidateValue(value, text, start);
            return value;
        }

        public LabelRequirement ReadRequirement()
        {
            if (!AtEnd && Peek == '!')
            {
                Pos++;
                var k = ReadKey();
                SkipSpace();
                if (!AtEnd && Peek != ',') throw Error($"unexpected '{Rest(1)}' after '!{k}'; '!key' takes no operator");
                return new LabelRequirement(k, LabelSelectorOperator.DoesNotExist);
            }

            var key = ReadKey();
            SkipSpace();
            if (AtEnd || Peek == ',') return new LabelRequirement(key, LabelSelectorOperator.Exists);
            var opPos = Pos;
            if (TryConsume("==") || TryConsume("=")) return Single(key, LabelSelectorOperator.Equals);
            if (TryConsume("!=")) return Single(key, LabelSelectorOperator.NotEquals);
            if (TryConsume(">")) return Integer(key, LabelSelectorOperator.GreaterThan);
            if (TryConsume("<")) return Integer(key, LabelSelectorOperator.LessThan);
            var word = ReadWord();
            var op = word switch
            {
                "in" => LabelSelectorOperator.In,
                "notin" => LabelSelectorOperator.NotIn,
                _ => (LabelSelectorOperator?)null,
            };
            if (op is null)
            {
                Pos = opPos;
                var bad = word.Length > 0 ? word : Rest(1);
                throw Error($"unexpected '{bad}' after key '{key}'; expected one of =, ==, !=, in, notin, >, <, ',' or the end");
            }

            SkipSpace();
            if (AtEnd || Peek != '(') throw Error($"expected '(' after '{word}' but found {(AtEnd ? "the end" : $"'{Rest(1)}'")}");
            Pos++;
            var values = new List<string>();
            while (true)
            {
                SkipSpace();
                var vStart = Pos;
                var v = ReadValue();
                SkipSpace();
                if (AtEnd) throw Error($"missing ')' to close the values of '{key} {word}'");
                if (v.Length == 0 && Peek == ')' && values.Count == 0)
                {
                    Pos = vStart;
                    throw Error($"the value set of '{key} {word}' must not be empty");
                }

                values.Add(v);
                if (Peek == ',')
                {
                    Pos++;
                    continue;
                }

                if (Peek == ')')
                {
                    Pos++;
                    break;
                }

                throw Error($"unexpected '{Rest(1)}' in the values of '{key} {word}'; expected ',' or ')'");
            }

            return new LabelRequirement(key, op.Value, Distinct(values));
        }

        private LabelRequirement Single(string key, LabelSelectorOperator op)
        {
            var start = Pos;
            var v = ReadValue();
            SkipSpace();
            if (!AtEnd && Peek != ',')
            {
                if (v.Length == 0) Pos = start;
                throw Error($"unexpected '{Rest(1)}' in the value of '{key}'");
            }

            return new LabelRequirement(key, op, [v]);
        }

        private LabelRequirement Integer(string key, LabelSelectorOperator op)
        {
            SkipSpace();
            var start = Pos;
            var v = ReadWord();
            if (!long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                Pos = start;
                throw Error($"'{(v.Length > 0 ? v : AtEnd ? "<end>" : Rest(1))}' after '{key}{(op == LabelSelectorOperator.GreaterThan ? ">" : "<")}' is not an integer");
            }

            return new LabelRequirement(key, op, [v]);
        }
    }
}
