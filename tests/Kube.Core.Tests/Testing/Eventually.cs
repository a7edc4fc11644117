namespace Kube.Core.Tests.Testing;

/// <summary>Polls a condition until it holds or a deadline passes (no sleeps for synchronisation).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for: {what}");
            await Task.Delay(5);
        }
    }
}
