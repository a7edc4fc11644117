using System.Globalization;

namespace Kube.Core.Selectors;

/// <summary>One requirement of a <see cref="LabelSelector"/>, e.g. <c>tier in (web,api)</c>.</summary>
public sealed record LabelRequirement
{
    public LabelRequirement(string key, LabelSelectorOperator op, IReadOnlyList<string>? values = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        Key = key;
        Operator = op;
        Values = values ?? [];
    }

    public string Key { get; }

    public LabelSelectorOperator Operator { get; }

    /// <summary>The values: one for =, !=, &gt; and &lt;; one or more for in and notin; none for exists and !exists.</summary>
    public IReadOnlyList<string> Values { get; }

    /// <summary>True when the labels (a missing map counts as empty) satisfy this requirement.</summary>
    public bool Matches(Func<string, string?> lookup)
    {
        var value = lookup(Key);
        switch (Operator)
        {
            case LabelSelectorOperator.Equals:
            case LabelSelectorOperator.In:
                return value is not null && Values.Contains(value, StringComparer.Ordinal);
            case LabelSelectorOperator.NotEquals:
            case LabelSelectorOperator.NotIn:
                return value is null || !Values.Contains(value, StringComparer.Ordinal);
            case LabelSelectorOperator.Exists:
                return value is not null;
            case LabelSelectorOperator.DoesNotExist:
                return value is null;
            case LabelSelectorOperator.GreaterThan:
            case LabelSelectorOperator.LessThan:
                if (value is null || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)) return false;
                var bound = long.Parse(Values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                return Operator == LabelSelectorOperator.GreaterThan ? actual > bound : actual < bound;
            default:
                return false;
        }
    }

    /// <summary>The requirement in selector syntax, e.g. <c>a!=b</c> or <c>c in (d,e)</c>.</summary>
    public override string ToString() => Operator switch
    {
        LabelSelectorOperator.Equals => $"{Key}={Values[0]}",
        LabelSelectorOperator.NotEquals => $"{Key}!={Values[0]}",
        LabelSelectorOperator.In => $"{Key} in ({string.Join(',', Values)})",
        LabelSelectorOperator.NotIn => $"{Key} notin ({string.Join(',', Values)})",
        LabelSelectorOperator.Exists => Key,
        LabelSelectorOperator.DoesNotExist => "!" + Key,
        LabelSelectorOperator.GreaterThan => $"{Key}>{Values[0]}",
        LabelSelectorOperator.LessThan => $"{Key}<{Values[0]}",
        _ => Key,
    };
}
