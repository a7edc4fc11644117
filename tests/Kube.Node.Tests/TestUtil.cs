namespace Kube.Node.Tests;

/// <summary>Node-test specifics; the general helpers (waits, temp dirs, /proc lookups, mounts) are in Kube.Testing.</summary>
internal static class TestUtil
{
    /// <summary>A random number that makes a command line unique to one test, e.g. "sleep 3600.1234".</summary>
    public static string UniqueSeconds(int whole) => $"{whole}.{Random.Shared.Next(1000, 999999)}";

    /// <inheritdoc cref="Wait.PollAsync(Func{Task{bool}}, TimeSpan)"/>
    public static Task<bool> PollAsync(Func<Task<bool>> condition, TimeSpan timeout) => Wait.PollAsync(condition, timeout);

    /// <inheritdoc cref="Wait.PollAsync(Func{bool}, TimeSpan)"/>
    public static Task<bool> PollAsync(Func<bool> condition, TimeSpan timeout) => Wait.PollAsync(condition, timeout);
}
