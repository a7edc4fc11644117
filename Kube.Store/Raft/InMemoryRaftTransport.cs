using System.Collections.Concurrent;
using Kube.Store.Raft.Core;

namespace Kube.Store.Raft;

/// <summary>
/// An in-process <see cref="IRaftTransport"/> for tests: a send calls the target's inbound callback directly (which queues
/// into its loop). Messages to an unregistered or isolated member are dropped, and a snapshot sent to one fails.
/// </summary>
internal sealed class InMemoryRaftTransport : IRaftTransport
{
    private readonly ConcurrentDictionary<ulong, Action<RaftMessage>> _members = new();
    private readonly ConcurrentDictionary<ulong, byte> _isolated = new();

    /// <summary>Messages dropped because the target was down or isolated.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    private long _dropped;

    public void Register(ulong memberId, Action<RaftMessage> inbound) => _members[memberId] = inbound;

    public void Unregister(ulong memberId) => _members.TryRemove(memberId, out _);

    /// <summary>Cuts <paramref name="memberId"/> off from everyone (both directions) until <see cref="Heal"/>.</summary>
    public void Isolate(ulong memberId) => _isolated[memberId] = 0;

    public void Heal(ulong memberId) => _isolated.TryRemove(memberId, out _);

    public ValueTask SendAsync(RaftMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_isolated.ContainsKey(message.From) || _isolated.ContainsKey(message.To) || !_members.TryGetValue(message.To, out var inbound))
        {
            Interlocked.Increment(ref _dropped);
            return message.Snapshot is null
                ? ValueTask.CompletedTask
                : ValueTask.FromException(new IOException($"Member {message.To:x} is unreachable."));
        }
        inbound(message);
        return ValueTask.CompletedTask;
    }
}
