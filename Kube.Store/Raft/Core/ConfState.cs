namespace Kube.Store.Raft.Core;

/// <summary>The membership: voters and learners (ids sorted ascending).</summary>
internal sealed record ConfState(ulong[] Voters, ulong[] Learners)
{
    public static ConfState Empty { get; } = new([], []);

    public bool Contains(ulong id) => Array.IndexOf(Voters, id) >= 0 || Array.IndexOf(Learners, id) >= 0;

    public override string ToString() => $"voters=[{string.Join(',', Voters)}] learners=[{string.Join(',', Learners)}]";
}
