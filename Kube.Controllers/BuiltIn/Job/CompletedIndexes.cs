using System.Globalization;
using System.Text;

namespace Kube.Controllers.BuiltIn.Job;

/// <summary>
/// The text form of <c>status.completedIndexes</c>: increasing decimal indexes separated by commas, where three or more
/// consecutive ones are written as "first-last" (e.g. "1,3-5,7").
/// </summary>
internal static class CompletedIndexes
{
    public static SortedSet<int> Parse(string? text)
    {
        var set = new SortedSet<int>();
        if (string.IsNullOrWhiteSpace(text)) return set;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', 1);
            if (dash > 0
                && int.TryParse(part.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && int.TryParse(part.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var last))
            {
                for (var i = first; i <= last && i - first < 1_000_000; i++) set.Add(i);
            }
            else if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var single))
            {
                set.Add(single);
            }
        }

        return set;
    }

    public static string? Format(IEnumerable<int> indexes)
    {
        var sorted = indexes.Distinct().Order().ToList();
        if (sorted.Count == 0) return null;
        var sb = new StringBuilder();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            if (sb.Length > 0) sb.Append(',');
            if (j - i >= 2)
                sb.Append(CultureInfo.InvariantCulture, $"{sorted[i]}-{sorted[j]}");
            else
                for (var k = i; k <= j; k++) sb.Append(k == i ? "" : ",").Append(sorted[k].ToString(CultureInfo.InvariantCulture));
            i = j + 1;
        }

        return sb.ToString();
    }
}
