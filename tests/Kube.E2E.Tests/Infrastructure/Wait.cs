namespace Kube.E2E.Tests.Infrastructure;

internal static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it is true or the deadline passes; returns whether it became true.</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition()) return true;
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(250));
        }
    }

    public static Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout) => UntilAsync(() => Task.FromResult(condition()), timeout);
}
