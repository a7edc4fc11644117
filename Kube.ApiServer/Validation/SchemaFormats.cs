using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Kube.ApiServer.Validation;

/// <summary>
/// The string formats upstream's CRD validation checks (apiextensions' supported formats, as go-openapi/strfmt parses
/// them). Other formats (int32, int64, float, double, and anything unknown) are not validated, as upstream strips them.
/// </summary>
internal static partial class SchemaFormats
{
    /// <summary>Whether upstream validates <paramref name="format"/> (after go-openapi's normalization, which drops '-').</summary>
    public static bool IsValidated(string format) => Normalize(format) is
        "bsonobjectid" or "uri" or "email" or "hostname" or "ipv4" or "ipv6" or "cidr" or "mac" or "uuid" or "uuid3" or "uuid4"
        or "uuid5" or "isbn" or "isbn10" or "isbn13" or "creditcard" or "ssn" or "hexcolor" or "rgbcolor" or "byte" or "password"
        or "date" or "duration" or "datetime";

    private static string Normalize(string format) => format.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    /// <summary>Whether <paramref name="value"/> is valid for <paramref name="format"/> (true for formats not validated).</summary>
    public static bool IsValid(string format, string value) => Normalize(format) switch
    {
        "bsonobjectid" => value.Length == 24 && value.All(Uri.IsHexDigit),
        "uri" => IsUri(value),
        "email" => IsEmail(value),
        "hostname" => Hostname().IsMatch(value) && value.Length <= 255,
        "ipv4" => IPAddress.TryParse(value, out var a4) && a4.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && Ipv4Strict().IsMatch(value),
        "ipv6" => value.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(value, out var a6) && a6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !value.Contains('%', StringComparison.Ordinal),
        "cidr" => IsCidr(value),
        "mac" => Mac().IsMatch(value),
        "uuid" => Uuid().IsMatch(value),
        "uuid3" => Uuid3().IsMatch(value),
        "uuid4" => Uuid4().IsMatch(value),
        "uuid5" => Uuid5().IsMatch(value),
        "isbn" => IsIsbn10(value) || IsIsbn13(value),
        "isbn10" => IsIsbn10(value),
        "isbn13" => IsIsbn13(value),
        "creditcard" => CreditCard().IsMatch(new string(value.Where(char.IsAsciiDigit).ToArray())),
        "ssn" => Ssn().IsMatch(value),
        "hexcolor" => HexColor().IsMatch(value),
        "rgbcolor" => RgbColor().IsMatch(value),
        "byte" => IsBase64(value),
        "date" => DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "datetime" => IsDateTime(value),
        "duration" => IsDuration(value),
        _ => true,
    };

    private static bool IsUri(string value)
    {
        // Go's url.ParseRequestURI: an absolute URI or an absolute path; no fragment.
        if (value.Length == 0 || value.Contains('#', StringComparison.Ordinal) || value.Any(char.IsWhiteSpace)) return false;
        if (value.StartsWith('/')) return true;
        return Uri.TryCreate(value, UriKind.Absolute, out _) && SchemePrefix().IsMatch(value);
    }

    private static bool IsEmail(string value)
    {
        // net/mail.ParseAddress accepts "Name <a@b>" as well as a bare address.
        var lt = value.LastIndexOf('<');
        var addr = lt >= 0 && value.EndsWith('>') ? value[(lt + 1)..^1] : value;
        return Email().IsMatch(addr);
    }

    private static bool IsCidr(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !IPAddress.TryParse(value[..slash], out var ip)) return false;
        var max = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !Ipv4Strict().IsMatch(value[..slash])) return false;
        var bits = value[(slash + 1)..];
        return bits.Length is > 0 and <= 3 && bits.All(char.IsAsciiDigit) && int.Parse(bits, CultureInfo.InvariantCulture) <= max;
    }

    private static bool IsIsbn10(string value)
    {
        var s = value.Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (s.Length != 10) return false;
        var sum = 0;
        for (var i = 0; i < 10; i++)
        {
            int d;
            if (i == 9 && s[i] is 'X' or 'x') d = 10;
            else if (char.IsAsciiDigit(s[i])) d = s[i] - '0';
            else return false;
            sum += (10 - i) * d;
        }
        return sum % 11 == 0;
    }

    private static bool IsIsbn13(string value)
    {
        var s = value.Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (s.Length != 13 || !s.All(char.IsAsciiDigit)) return false;
        var sum = 0;
        for (var i = 0; i < 13; i++) sum += (s[i] - '0') * (i % 2 == 0 ? 1 : 3);
        return sum % 10 == 0;
    }

    private static bool IsBase64(string value)
    {
        Span<byte> buffer = value.Length <= 4096 ? stackalloc byte[value.Length] : new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out _);
    }

    private static bool IsDateTime(string value) =>
        DateTimeRegex().IsMatch(value)
        && DateTimeOffset.TryParse(value.Replace(' ', 'T'), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);

    private static bool IsDuration(string value)
    {
        // Go's time.ParseDuration ("1h30m", "-1.5s", "0"), or strfmt's "<n> <unit>" form ("3 days", "22 ns").
        if (value == "0") return true;
        return GoDuration().IsMatch(value) || ScalaDuration().IsMatch(value);
    }

    [GeneratedRegex(@"^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?)*\.?$")]
    private static partial Regex Hostname();

    [GeneratedRegex(@"^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")]
    private static partial Regex Ipv4Strict();

    [GeneratedRegex(@"^(?:[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){7}|[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){19}|[0-9A-Fa-f]{4}(?:\.[0-9A-Fa-f]{4}){2,9})$")]
    private static partial Regex Mac();

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid();

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid3();

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid4();

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", RegexOptions.IgnoreCase)]
    private static partial Regex Uuid5();

    [GeneratedRegex(@"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35[0-9]{3})[0-9]{11})$")]
    private static partial Regex CreditCard();

    [GeneratedRegex(@"^[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{4}$")]
    private static partial Regex Ssn();

    [GeneratedRegex(@"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    private static partial Regex HexColor();

    [GeneratedRegex(@"^rgb\(\s*(0|[1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5])\s*,\s*(0|[1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5])\s*,\s*(0|[1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5])\s*\)$")]
    private static partial Regex RgbColor();

    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*$")]
    private static partial Regex Email();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*:")]
    private static partial Regex SchemePrefix();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    private static partial Regex DateTimeRegex();

    [GeneratedRegex(@"^[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+$")]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"^[0-9]+\s*(?:ns|nanoseconds?|us|microseconds?|ms|milliseconds?|s|seconds?|m|minutes?|h|hours?|d|days?|w|weeks?)$")]
    private static partial Regex ScalaDuration();
}
