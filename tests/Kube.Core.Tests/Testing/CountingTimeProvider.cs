using Microsoft.Extensions.Time.Testing;

namespace Kube.Core.Tests.Testing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that counts timers created and fired, so a test can advance time in steps and
/// wait, after each step, until every loop woken by a fired timer has parked on a new timer.
/// </summary>
internal sealed class CountingTimeProvider : FakeTimeProvider
{
    private int _created;
    private int _fired;

    public CountingTimeProvider()
        : base(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    public int Created => Volatile.Read(ref _created);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _created);
        return base.CreateTimer(s =>
        {
            Interlocked.Increment(ref _fired);
            callback(s);
        }, state, dueTime, period);
    }

    /// <summary>
    /// Advances in steps; after each step waits until as many new timers were created as timers fired (each woken
    /// loop did its work and waits again), or <paramref name="stop"/> holds.
    /// </summary>
    public async Task AdvanceInStepsAsync(TimeSpan total, TimeSpan step, Func<bool> stop)
    {
        for (var t = TimeSpan.Zero; t < total && !stop(); t += step)
        {
            var created = Volatile.Read(ref _created);
            var fired = Volatile.Read(ref _fired);
            Advance(step);
            var woken = Volatile.Read(ref _fired) - fired;
            await Eventually.TrueAsync(() => Volatile.Read(ref _created) - created >= woken || stop(), "woken loops parked again");
        }
    }
}
