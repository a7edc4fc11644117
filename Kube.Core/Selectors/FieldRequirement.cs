using System.Text;

namespace Kube.Core.Selectors;

/// <summary>One requirement of a <see cref="FieldSelector"/>, e.g. <c>spec.nodeName=node-1</c>.</summary>
public sealed record FieldRequirement(string Field, FieldSelectorOperator Operator, string Value)
{
    /// <summary>True when the field's value (null counts as empty) satisfies the requirement.</summary>
    public bool Matches(string? actual) =>
        Operator == FieldSelectorOperator.Equals
            ? string.Equals(actual ?? "", Value, StringComparison.Ordinal)
            : !string.Equals(actual ?? "", Value, StringComparison.Ordinal);

    /// <summary>The requirement in selector syntax, with <c>\</c>, <c>,</c> and <c>=</c> in the value escaped.</summary>
    public override string ToString() => $"{Field}{(Operator == FieldSelectorOperator.Equals ? "=" : "!=")}{Escape(Value)}";

    internal static string Escape(string value)
    {
        if (value.IndexOfAny(['\\', ',', '=']) < 0) return value;
        var sb = new StringBuilder(value.Length + 4);
        foreach (var c in value)
        {
            if (c is '\\' or ',' or '=') sb.Append('\\');
            sb.Append(c);
        }

        return sb.ToString();
    }
}
