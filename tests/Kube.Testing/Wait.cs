namespace Kube.Testing;

/// <summary>Waiting for a condition with a deadline, instead of a fixed sleep.</summary>
public static class Wait
{
    /// <summary>The poll interval of <see cref="PollAsync(Func{Task{bool}}, TimeSpan)"/>, for cheap in-process conditions.</summary>
    public static readonly TimeSpan FastInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Polls <paramref name="condition"/> until it is true or the deadline passes; returns whether it became true.
    /// The default interval (250 ms) suits conditions that cost a process or a request (kubectl, etcdctl).
    /// </summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(250));
        }
    }

    /// <inheritdoc cref="UntilAsync(Func{Task{bool}}, TimeSpan, TimeSpan?)"/>
    public static Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, interval);

    /// <summary><see cref="UntilAsync(Func{Task{bool}}, TimeSpan, TimeSpan?)"/> every <see cref="FastInterval"/>.</summary>
    public static Task<bool> PollAsync(Func<Task<bool>> condition, TimeSpan timeout) => UntilAsync(condition, timeout, FastInterval);

    /// <summary><see cref="UntilAsync(Func{bool}, TimeSpan, TimeSpan?)"/> every <see cref="FastInterval"/>.</summary>
    public static Task<bool> PollAsync(Func<bool> condition, TimeSpan timeout) => UntilAsync(condition, timeout, FastInterval);
}
