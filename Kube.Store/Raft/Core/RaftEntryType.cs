namespace Kube.Store.Raft.Core;

/// <summary>What a log entry carries: an application command, or a membership change the application hands back through <see cref="RaftNode.ApplyConfChange"/>.</summary>
internal enum RaftEntryType : byte
{
    Normal = 0,
    ConfChange = 1,
}
