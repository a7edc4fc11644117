namespace Kube.Store.Raft.Core;

/// <summary>Message kinds, as in etcd-io/raft. The local ones (Hup, Beat, Propose, CheckQuorum, SnapStatus, Unreachable) never cross the network.</summary>
internal enum RaftMessageType : byte
{
    Hup,
    Beat,
    Propose,
    App,
    AppResp,
    Vote,
    VoteResp,
    PreVote,
    PreVoteResp,
    Snap,
    Heartbeat,
    HeartbeatResp,
    Unreachable,
    SnapStatus,
    CheckQuorum,
    TransferLeader,
    TimeoutNow,
    ReadIndex,
    ReadIndexResp,
}
