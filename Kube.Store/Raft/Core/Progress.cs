namespace Kube.Store.Raft.Core;

/// <summary>The leader's view of one member's log: what matches, what to send next, and how.</summary>
internal sealed class Progress(ulong next, int maxInflight, bool isLearner)
{
    public ulong Match { get; set; }

    public ulong Next { get; set; } = next;

    public ProgressState State { get; private set; } = ProgressState.Probe;

    public ulong PendingSnapshot { get; private set; }

    /// <summary>Heard from within the current election timeout (check-quorum).</summary>
    public bool RecentActive { get; set; }

    /// <summary>In probe state: an append is out and no reply or heartbeat reply came back yet.</summary>
    public bool ProbeSent { get; set; }

    public bool IsLearner { get; set; } = isLearner;

    public Inflights Inflights { get; } = new(maxInflight);

    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.Full,
        _ => true,
    };

    private void ResetState(ProgressState state)
    {
        ProbeSent = false;
        PendingSnapshot = 0;
        State = state;
        Inflights.Reset();
    }

    public void BecomeProbe()
    {
        if (State == ProgressState.Snapshot)
        {
            var pending = PendingSnapshot;
            ResetState(ProgressState.Probe);
            Next = Math.Max(Match + 1, pending + 1);
        }
        else
        {
            ResetState(ProgressState.Probe);
            Next = Match + 1;
        }
    }

    public void BecomeReplicate()
    {
        ResetState(ProgressState.Replicate);
        Next = Match + 1;
    }

    public void BecomeSnapshot(ulong index)
    {
        ResetState(ProgressState.Snapshot);
        PendingSnapshot = index;
    }

    /// <summary>An acknowledgement up to <paramref name="index"/>; false when it is stale.</summary>
    public bool MaybeUpdate(ulong index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
        }
        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>A rejection of the append after <paramref name="rejected"/>; false when it is stale.</summary>
    public bool MaybeDecreaseTo(ulong rejected, ulong matchHint)
    {
        if (State == ProgressState.Replicate)
        {
            if (rejected <= Match)
            {
                return false;
            }
            Next = Match + 1;
            return true;
        }
        if (Next - 1 != rejected)
        {
            return false;
        }
        Next = Math.Max(Math.Min(rejected, matchHint + 1), 1);
        ProbeSent = false;
        return true;
    }

    public override string ToString() => $"{State} match={Match} next={Next}{(IsLearner ? " learner" : "")}";
}
