using Kube.Store.Raft.Core;

namespace Kube.Store.Raft;

/// <summary>
/// Carries Raft messages between members. A member registers its inbound callback, which only queues the message into the
/// member's loop (it never blocks and never runs Raft code on the caller's thread).
/// </summary>
/// <remarks>
/// Raft tolerates lost, duplicated and reordered messages, so a transport may drop a message it cannot deliver (a peer that
/// is down, a full queue); <see cref="SendAsync"/> then fails or completes without delivery. <see cref="SendAsync"/> must return
/// quickly: a network transport queues per peer and sends in the background. For a snapshot message, the returned task
/// completes successfully only once the peer has received the whole snapshot.
/// </remarks>
internal interface IRaftTransport
{
    /// <summary>Registers <paramref name="memberId"/>'s inbound callback; messages addressed to it are passed there.</summary>
    void Register(ulong memberId, Action<RaftMessage> inbound);

    /// <summary>Stops delivering to <paramref name="memberId"/>.</summary>
    void Unregister(ulong memberId);

    /// <summary>Sends <paramref name="message"/> to <see cref="RaftMessage.To"/>.</summary>
    ValueTask SendAsync(RaftMessage message, CancellationToken cancellationToken);
}
