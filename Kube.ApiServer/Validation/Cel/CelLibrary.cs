using System.Globalization;

namespace Kube.ApiServer.Validation.Cel;

/// <summary>A <c>kubernetes.URL</c> CEL value (library url.go): the parts Go's url.ParseRequestURI gives.</summary>
internal sealed record CelUrl(string Scheme, string Host, string Hostname, string Port, string EscapedPath, string RawQuery);

/// <summary>
/// The CEL functions beyond the core subset that Kubernetes rules use most, with upstream's semantics:
/// CEL's standard <c>duration()</c> / <c>timestamp()</c> (google.protobuf.Duration as <see cref="TimeSpan"/>, Timestamp as
/// <see cref="DateTimeOffset"/> in UTC) with comparison, arithmetic, <c>int()</c>/<c>string()</c> conversions and the
/// accessors (getFullYear, getMonth, getDate, getDayOfMonth, getDayOfWeek, getDayOfYear, getHours, getMinutes,
/// getSeconds, getMilliseconds, optionally in a time zone); and k8s.io/apiserver/pkg/cel/library's
/// <c>quantity()</c>/<c>isQuantity()</c> with the Quantity methods (<see cref="CelQuantity"/>) and <c>url()</c>/<c>isURL()</c>
/// with getScheme, getHost, getHostname, getPort, getEscapedPath, getQuery.
/// </summary>
internal static class CelLibrary
{
    public static readonly HashSet<string> Globals = ["quantity", "isQuantity", "duration", "timestamp", "url", "isURL"];

    public static readonly HashSet<string> Methods =
    [
        "compareTo", "isGreaterThan", "isLessThan", "add", "sub", "asInteger", "asApproximateFloat", "sign", "isInteger",
        "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getHours", "getMinutes", "getSeconds", "getMilliseconds",
        "getScheme", "getHost", "getHostname", "getPort", "getEscapedPath", "getQuery",
    ];

    /// <summary>Evaluates a library call; false when <paramref name="function"/> on these arguments is not the library's.</summary>
    public static bool TryCall(string function, object? target, List<object?> args, out object? result)
    {
        result = (function, target, args.Count) switch
        {
            ("quantity", string s, 0) => CelQuantity.Parse(s),
            ("isQuantity", string s, 0) => CelQuantity.TryParse(s, out _, out _),
            ("duration", string s, 0) => ParseDuration(s) ?? throw new CelException("type conversion error from 'string' to 'google.protobuf.Duration'"),
            ("duration", TimeSpan d, 0) => d,
            ("timestamp", string s, 0) => ParseTimestamp(s) ?? throw new CelException("type conversion error from 'string' to 'google.protobuf.Timestamp'"),
            ("timestamp", long n, 0) => DateTimeOffset.FromUnixTimeSeconds(n),
            ("timestamp", DateTimeOffset t, 0) => t,
            ("url", string s, 0) => ParseUrl(s, out var error) ?? throw new CelException($"URL parse error during conversion from string: {error}"),
            ("isURL", string s, 0) => ParseUrl(s, out _) is not null,
            ("int", DateTimeOffset t, 0) => t.ToUnixTimeSeconds(),
            ("int", TimeSpan d, 0) => d.Ticks * 100,
            ("string", DateTimeOffset t, 0) => FormatTimestamp(t),
            ("string", TimeSpan d, 0) => (d.Ticks / 1e7).ToString("0.#########", CultureInfo.InvariantCulture) + "s",
            ("isInteger", CelQuantity q, 0) => q.IsInteger,
            ("asInteger", CelQuantity q, 0) => q.AsInteger(),
            ("asApproximateFloat", CelQuantity q, 0) => q.AsApproximateFloat(),
            ("sign", CelQuantity q, 0) => q.Sign,
            ("compareTo", CelQuantity q, 1) when args[0] is CelQuantity o => (long)Math.Sign(q.CompareTo(o)),
            ("isGreaterThan", CelQuantity q, 1) when args[0] is CelQuantity o => q.CompareTo(o) > 0,
            ("isLessThan", CelQuantity q, 1) when args[0] is CelQuantity o => q.CompareTo(o) < 0,
            ("add", CelQuantity q, 1) when args[0] is CelQuantity o => q.Add(o.Value),
            ("add", CelQuantity q, 1) when args[0] is long n => q.Add(n),
            ("sub", CelQuantity q, 1) when args[0] is CelQuantity o => q.Sub(o.Value),
            ("sub", CelQuantity q, 1) when args[0] is long n => q.Sub(n),
            ("getHours", TimeSpan d, 0) => (long)d.TotalHours,
            ("getMinutes", TimeSpan d, 0) => (long)d.TotalMinutes,
            ("getSeconds", TimeSpan d, 0) => (long)d.TotalSeconds,
            ("getMilliseconds", TimeSpan d, 0) => (long)d.TotalMilliseconds,
            (_, DateTimeOffset t, 0) when Accessor(function, t) is { } v => v,
            (_, DateTimeOffset t, 1) when args[0] is string zone && Accessor(function, InZone(t, zone)) is { } v => v,
            ("getScheme", CelUrl u, 0) => u.Scheme,
            ("getHost", CelUrl u, 0) => u.Host,
            ("getHostname", CelUrl u, 0) => u.Hostname,
            ("getPort", CelUrl u, 0) => u.Port,
            ("getEscapedPath", CelUrl u, 0) => u.EscapedPath,
            ("getQuery", CelUrl u, 0) => Query(u.RawQuery),
            _ => Missing.Value,
        };
        return result is not Missing;
    }

    private sealed class Missing
    {
        public static readonly Missing Value = new();
    }

    /// <summary>Binary operators on durations and timestamps; null when the operands are not theirs.</summary>
    public static object? Arithmetic(string op, object? left, object? right) => (left, right, op) switch
    {
        (TimeSpan x, TimeSpan y, "+") => Checked(() => x + y),
        (TimeSpan x, TimeSpan y, "-") => Checked(() => x - y),
        (DateTimeOffset x, TimeSpan y, "+") => Checked(() => x + y),
        (TimeSpan x, DateTimeOffset y, "+") => Checked(() => y + x),
        (DateTimeOffset x, TimeSpan y, "-") => Checked(() => x - y),
        (DateTimeOffset x, DateTimeOffset y, "-") => Checked(() => x - y),
        _ => null,
    };

    /// <summary>Orders durations, timestamps and quantities (CEL compares only values of one type); null otherwise.</summary>
    public static int? Compare(object? a, object? b) => (a, b) switch
    {
        (TimeSpan x, TimeSpan y) => x.CompareTo(y),
        (DateTimeOffset x, DateTimeOffset y) => x.CompareTo(y),
        _ => null,
    };

    public static string? TypeName(object? v) => v switch
    {
        TimeSpan => "google.protobuf.Duration",
        DateTimeOffset => "google.protobuf.Timestamp",
        CelQuantity => "kubernetes.Quantity",
        CelUrl => "kubernetes.URL",
        _ => null,
    };

    private static object Checked(Func<object> f)
    {
        try
        {
            return f();
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            throw new CelException("timestamp or duration overflow");
        }
    }

    private static object? Accessor(string function, DateTimeOffset t) => function switch
    {
        "getFullYear" => (long)t.Year,
        "getMonth" => (long)t.Month - 1,
        "getDate" => (long)t.Day,
        "getDayOfMonth" => (long)t.Day - 1,
        "getDayOfWeek" => (long)t.DayOfWeek,
        "getDayOfYear" => (long)t.DayOfYear - 1,
        "getHours" => (long)t.Hour,
        "getMinutes" => (long)t.Minute,
        "getSeconds" => (long)t.Second,
        "getMilliseconds" => (long)t.Millisecond,
        _ => null,
    };

    /// <summary>A timestamp in a time zone: an IANA name, "UTC", or a fixed offset such as "+02:00" / "-05:30".</summary>
    private static DateTimeOffset InZone(DateTimeOffset t, string zone)
    {
        if (zone.Length > 0 && zone[0] is '+' or '-' && TimeSpan.TryParseExact(zone[1..], @"hh\:mm", CultureInfo.InvariantCulture, out var offset))
            return t.ToOffset(zone[0] == '-' ? -offset : offset);
        try
        {
            return TimeZoneInfo.ConvertTime(t, TimeZoneInfo.FindSystemTimeZoneById(zone));
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new CelException($"unknown time zone {zone}");
        }
    }

    /// <summary>Go's time.ParseDuration: an optional sign, then decimal numbers with units ns, us (µs), ms, s, m, h; "0" alone.</summary>
    public static TimeSpan? ParseDuration(string s)
    {
        var i = 0;
        var negative = false;
        if (i < s.Length && s[i] is '+' or '-') negative = s[i++] == '-';
        if (s[i..] == "0") return TimeSpan.Zero;
        if (i >= s.Length) return null;
        decimal ticks = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            var number = s[start..i];
            if (number.Length == 0 || number == "." || number.Count(c => c == '.') > 1
                || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)) return null;
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.') i++;
            decimal perUnit = s[unitStart..i] switch
            {
                "ns" => 0.01m,
                "us" or "µs" or "μs" => 10m,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => -1,
            };
            if (perUnit < 0) return null;
            ticks += value * perUnit;
            if (ticks > long.MaxValue) return null;
        }
        var total = (long)decimal.Truncate(ticks);
        return TimeSpan.FromTicks(negative ? -total : total);
    }

    /// <summary>RFC 3339 as Go's time.Parse(time.RFC3339) takes it: date, 'T', time with optional fraction, 'Z' or an offset.</summary>
    public static DateTimeOffset? ParseTimestamp(string s)
    {
        string[] formats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];
        var trimmed = s;
        // .NET keeps 7 fraction digits; Go accepts up to 9 (nanoseconds).
        var dot = s.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
            if (end - dot - 1 > 7) trimmed = s[..(dot + 8)] + s[end..];
        }
        return DateTimeOffset.TryParseExact(trimmed, formats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var t) ? t.ToUniversalTime() : null;
    }

    /// <summary>Go's time.RFC3339Nano in UTC (trailing fraction zeros dropped).</summary>
    private static string FormatTimestamp(DateTimeOffset t)
    {
        var utc = t.ToUniversalTime();
        var fraction = utc.Ticks % TimeSpan.TicksPerSecond;
        var text = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (fraction != 0) text += "." + (fraction * 100).ToString("000000000", CultureInfo.InvariantCulture).TrimEnd('0');
        return text + "Z";
    }

    /// <summary>Go's url.ParseRequestURI: an absolute URL, or an absolute path; null (with the reason) otherwise.</summary>
    private static CelUrl? ParseUrl(string s, out string? error)
    {
        error = null;
        var hash = s.IndexOf('#', StringComparison.Ordinal);
        if (s.Length == 0 || hash >= 0 || s.Any(c => c < 0x20 || c == 0x7f))
        {
            error = $"parse {SchemaValidator.Quote(s)}: invalid URI for request";
            return null;
        }
        if (s.StartsWith('/'))
        {
            var q = s.IndexOf('?', StringComparison.Ordinal);
            return new CelUrl("", "", "", "", q < 0 ? s : s[..q], q < 0 ? "" : s[(q + 1)..]);
        }
        var colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !char.IsAsciiLetter(s[0]) || !s[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.')
            || !Uri.TryCreate(s, UriKind.Absolute, out var uri))
        {
            error = $"parse {SchemaValidator.Quote(s)}: invalid URI for request";
            return null;
        }
        var rest = s[(colon + 1)..];
        var host = "";
        var path = rest;
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            var end = rest.IndexOfAny(['/', '?'], 2);
            host = end < 0 ? rest[2..] : rest[2..end];
            path = end < 0 ? "" : rest[end..];
            var at = host.LastIndexOf('@');
            if (at >= 0) host = host[(at + 1)..];
        }
        var query = "";
        var qi = path.IndexOf('?', StringComparison.Ordinal);
        if (qi >= 0)
        {
            query = path[(qi + 1)..];
            path = path[..qi];
        }
        string hostname = host, port = "";
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            hostname = close > 0 ? host[1..close] : host;
            if (close > 0 && close + 1 < host.Length && host[close + 1] == ':') port = host[(close + 2)..];
        }
        else if (host.LastIndexOf(':') is var pc and >= 0)
        {
            hostname = host[..pc];
            port = host[(pc + 1)..];
        }
        return new CelUrl(uri.Scheme, host, hostname, port, path, query);
    }

    private static Dictionary<string, object?> Query(string raw)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var pair in raw.Split(['&', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Unescape(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Unescape(pair[(eq + 1)..]);
            if (result.TryGetValue(key, out var list)) ((List<object?>)list!).Add(value);
            else result[key] = new List<object?> { value };
        }
        return result;
    }

    private static string Unescape(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
}
