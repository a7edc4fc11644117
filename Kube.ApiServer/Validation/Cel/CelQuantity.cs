using System.Globalization;
using System.Text.RegularExpressions;

namespace Kube.ApiServer.Validation.Cel;

/// <summary>
/// A <c>kubernetes.Quantity</c> CEL value (k8s.io/apiserver/pkg/cel/library quantity.go): parsed as
/// resource.ParseQuantity parses (a number, then a binary (Ki..Ei), decimal (n u m k M G T P E) or exponent suffix), held
/// as its exact decimal value; equal quantities compare equal whatever their spelling (<c>1</c> == <c>1000m</c>).
/// </summary>
internal readonly partial record struct CelQuantity(decimal Value)
{
    private const string FormatWrong = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

    [GeneratedRegex("^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")]
    private static partial Regex Shape();

    public static CelQuantity Parse(string text) => TryParse(text, out var q, out var error) ? q : throw new CelException(error!);

    public static bool TryParse(string text, out CelQuantity quantity, out string? error)
    {
        quantity = default;
        error = null;
        var m = Shape().Match(text);
        if (text.Length == 0 || !m.Success)
        {
            error = FormatWrong;
            return false;
        }
        var number = m.Groups[1].Value;
        var suffix = m.Groups[2].Value;
        if (number.Count(c => c == '.') > 1 || number.TrimStart('+', '-') is "." or ""
            || !decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            error = "unable to parse numeric part of quantity";
            return false;
        }
        decimal multiplier;
        switch (suffix)
        {
            case "": multiplier = 1; break;
            case "Ki": multiplier = 1024m; break;
            case "Mi": multiplier = 1024m * 1024; break;
            case "Gi": multiplier = 1024m * 1024 * 1024; break;
            case "Ti": multiplier = 1024m * 1024 * 1024 * 1024; break;
            case "Pi": multiplier = 1024m * 1024 * 1024 * 1024 * 1024; break;
            case "Ei": multiplier = 1024m * 1024 * 1024 * 1024 * 1024 * 1024; break;
            case "n": multiplier = 0.000000001m; break;
            case "u": multiplier = 0.000001m; break;
            case "m": multiplier = 0.001m; break;
            case "k": multiplier = 1e3m; break;
            case "M": multiplier = 1e6m; break;
            case "G": multiplier = 1e9m; break;
            case "T": multiplier = 1e12m; break;
            case "P": multiplier = 1e15m; break;
            case "E": multiplier = 1e18m; break;
            default:
                if (suffix[0] is 'e' or 'E' && int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exp) && exp is >= -27 and <= 27)
                {
                    multiplier = exp >= 0 ? Pow10(exp) : 1m / Pow10(-exp);
                    break;
                }
                error = "unable to parse quantity's suffix";
                return false;
        }
        try
        {
            quantity = new CelQuantity(value * multiplier);
            return true;
        }
        catch (OverflowException)
        {
            error = "unable to parse numeric part of quantity";
            return false;
        }
    }

    private static decimal Pow10(int n)
    {
        var r = 1m;
        for (var i = 0; i < n; i++) r *= 10;
        return r;
    }

    /// <summary>Whether <c>asInteger()</c> succeeds: an integral value within int64 (resource.Quantity.AsInt64).</summary>
    public bool IsInteger => decimal.Truncate(Value) == Value && Value is >= long.MinValue and <= long.MaxValue;

    public long AsInteger() => IsInteger ? (long)Value : throw new CelException("cannot convert value to integer");

    public double AsApproximateFloat() => (double)Value;

    public long Sign => Math.Sign(Value);

    public int CompareTo(CelQuantity other) => Value.CompareTo(other.Value);

    public CelQuantity Add(decimal other) => Checked(Value, other);

    public CelQuantity Sub(decimal other) => Checked(Value, -other);

    private static CelQuantity Checked(decimal a, decimal b)
    {
        try
        {
            return new CelQuantity(a + b);
        }
        catch (OverflowException)
        {
            throw new CelException("quantity overflow");
        }
    }
}
