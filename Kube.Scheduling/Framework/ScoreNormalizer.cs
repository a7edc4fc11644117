namespace Kube.Scheduling.Framework;

/// <summary>Upstream's DefaultNormalizeScore: scales raw scores so the highest becomes 100, optionally reversed.</summary>
public static class ScoreNormalizer
{
    /// <summary>
    /// score × 100 / max (or 100 − that when <paramref name="reverse"/>). When every score is 0, all become 0, or 100
    /// when reversed.
    /// </summary>
    public static Status Default(IList<NodeScore> scores, bool reverse)
    {
        ArgumentNullException.ThrowIfNull(scores);
        long max = 0;
        for (var i = 0; i < scores.Count; i++) max = Math.Max(max, scores[i].Score);
        for (var i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            var v = max == 0 ? 0 : s.Score * IScorePlugin.MaxNodeScore / max;
            if (reverse) v = IScorePlugin.MaxNodeScore - v;
            scores[i] = s with { Score = v };
        }

        return Status.Success;
    }
}
