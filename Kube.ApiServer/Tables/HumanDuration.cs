using System.Globalization;

namespace Kube.ApiServer.Tables;

/// <summary>Durations as kubectl prints ages: "45s", "5m3s", "12m", "3h5m", "20h", "2d4h", "30d", "2y15d".</summary>
internal static class HumanDuration
{
    public static string Format(TimeSpan d)
    {
        if (d < TimeSpan.FromSeconds(-1)) return "<invalid>";
        if (d < TimeSpan.Zero) return "0s";
        var seconds = (long)Math.Round(d.TotalSeconds, MidpointRounding.AwayFromZero);
        if (seconds < 120) return I($"{seconds}s");
        var minutes = (long)d.TotalMinutes;
        if (minutes < 10)
        {
            var s = (long)d.TotalSeconds % 60;
            return s == 0 ? I($"{minutes}m") : I($"{minutes}m{s}s");
        }
        if (minutes < 180) return I($"{minutes}m");
        var hours = (long)d.TotalHours;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? I($"{hours}h") : I($"{hours}h{m}m");
        }
        if (hours < 48) return I($"{hours}h");
        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? I($"{hours / 24}d") : I($"{hours / 24}d{h}h");
        }
        if (hours < 24 * 365 * 2) return I($"{hours / 24}d");
        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? I($"{hours / 24 / 365}y") : I($"{hours / 24 / 365}y{dy}d");
        }
        return I($"{hours / 24 / 365}y");
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
