using Cronos;

namespace Kube.Controllers.BuiltIn.CronJob;

/// <summary>
/// A CronJob schedule as upstream reads it (robfig/cron's standard parser): five fields (minute, hour, day of month,
/// month, day of week, with names, ranges, steps and '?'), or the macros @yearly, @annually, @monthly, @weekly,
/// @daily, @midnight and @hourly. As in Vixie cron, when both day of month and day of week are restricted, a day
/// matching either one matches. Occurrences are computed in a time zone through Cronos.
/// </summary>
internal sealed class CronSchedule
{
    private static readonly Dictionary<string, string> Macros = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@yearly"] = "0 0 1 1 *",
        ["@annually"] = "0 0 1 1 *",
        ["@monthly"] = "0 0 1 * *",
        ["@weekly"] = "0 0 * * 0",
        ["@daily"] = "0 0 * * *",
        ["@midnight"] = "0 0 * * *",
        ["@hourly"] = "0 * * * *",
    };

    private readonly CronExpression[] _expressions;

    private CronSchedule(CronExpression[] expressions) => _expressions = expressions;

    /// <summary>Parses a schedule; returns false with a message for invalid ones.</summary>
    public static bool TryParse(string? schedule, out CronSchedule? result, out string error)
    {
        result = null;
        error = "";
        var text = schedule?.Trim() ?? "";
        if (Macros.TryGetValue(text, out var expanded)) text = expanded;
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            error = $"expected exactly 5 fields, found {fields.Length}: {schedule}";
            return false;
        }

        try
        {
            static bool Restricted(string f) => f is not ("*" or "?") && !f.StartsWith("*/", StringComparison.Ordinal);
            if (Restricted(fields[2]) && Restricted(fields[4]))
            {
                var byDom = CronExpression.Parse($"{fields[0]} {fields[1]} {fields[2]} {fields[3]} *", CronFormat.Standard);
                var byDow = CronExpression.Parse($"{fields[0]} {fields[1]} * {fields[3]} {fields[4]}", CronFormat.Standard);
                result = new CronSchedule([byDom, byDow]);
            }
            else
            {
                result = new CronSchedule([CronExpression.Parse(string.Join(' ', fields), CronFormat.Standard)]);
            }

            return true;
        }
        catch (CronFormatException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="from"/>, or null if there is none.</summary>
    public DateTimeOffset? Next(DateTimeOffset from, TimeZoneInfo zone)
    {
        DateTimeOffset? best = null;
        foreach (var e in _expressions)
        {
            var n = e.GetNextOccurrence(from, zone, inclusive: false);
            if (n is { } v && (best is null || v < best)) best = v;
        }

        return best;
    }

    /// <summary>The last occurrence at or before <paramref name="to"/> (and strictly after <paramref name="after"/>), or null.</summary>
    public DateTimeOffset? Previous(DateTimeOffset to, DateTimeOffset after, TimeZoneInfo zone)
    {
        DateTimeOffset? best = null;
        foreach (var e in _expressions)
        {
            var p = e.GetPreviousOccurrence(to, zone, inclusive: true);
            if (p is { } v && v > after && (best is null || v > best)) best = v;
        }

        return best;
    }

    /// <summary>
    /// Upstream's mostRecentScheduleTime: the latest occurrence in (<paramref name="earliest"/>, <paramref name="now"/>],
    /// how many occurrences fell in that window (counted up to 101, which is enough to say "more than 100"), and the
    /// next occurrence after <paramref name="now"/>.
    /// </summary>
    public (DateTimeOffset? MostRecent, int Missed, DateTimeOffset? Next) Plan(DateTimeOffset earliest, DateTimeOffset now, TimeZoneInfo zone)
    {
        var next = Next(now, zone);
        if (earliest >= now) return (null, 0, Next(earliest > now ? earliest : now, zone));
        var missed = 0;
        var t = earliest;
        while (missed <= 100)
        {
            var n = Next(t, zone);
            if (n is not { } v || v > now) break;
            missed++;
            t = v;
        }

        if (missed == 0) return (null, 0, next);
        var mostRecent = missed <= 100 ? t : Previous(now, earliest, zone);
        return (mostRecent, missed, next);
    }
}
