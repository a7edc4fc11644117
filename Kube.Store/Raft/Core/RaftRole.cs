namespace Kube.Store.Raft.Core;

internal enum RaftRole : byte
{
    Follower,
    PreCandidate,
    Candidate,
    Leader,
}
