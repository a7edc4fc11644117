namespace Kube.Store.Raft.Core;

internal enum ConfChangeType : byte
{
    /// <summary>Adds a voter, or promotes the learner with that id.</summary>
    AddNode = 0,
    AddLearnerNode = 1,
    RemoveNode = 2,
}
