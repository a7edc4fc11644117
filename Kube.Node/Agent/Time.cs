namespace Kube.Node.Agent;

/// <summary>Timestamps as the API stores them: UTC, whole seconds (so a status read back compares equal).</summary>
internal static class Time
{
    public static DateTime Seconds(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    public static DateTime? Seconds(DateTimeOffset? t) => t is { } v ? Seconds(v) : null;
}
