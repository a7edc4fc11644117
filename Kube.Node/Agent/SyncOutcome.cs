namespace Kube.Node.Agent;

/// <summary>What a pod sync asks of its worker: whether the pod is finished with (gone), and when to sync again.</summary>
internal readonly record struct SyncOutcome(bool Finished, TimeSpan? RequeueAfter)
{
    public static SyncOutcome Done { get; } = new(true, null);

    public static SyncOutcome Idle { get; } = new(false, null);
}
