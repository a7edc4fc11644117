namespace Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;

/// <summary>
/// What the controller remembers about one HPA between syncs (upstream keeps the same in memory): recent
/// recommendations for the stabilization windows, and recent scale events for the rate policies. Guarded by its own lock.
/// </summary>
internal sealed class ScaleHistory
{
    public List<(DateTimeOffset At, int Replicas)> Recommendations { get; } = [];

    public List<(DateTimeOffset At, int Change)> ScaleUps { get; } = [];

    public List<(DateTimeOffset At, int Change)> ScaleDowns { get; } = [];
}
