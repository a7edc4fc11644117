namespace Kube.Node.Runtime;

/// <summary>What a sandbox is created from: the pod's identity and the environment every container of it gets.</summary>
public sealed record PodSandboxConfig
{
    public required string PodUid { get; init; }
    public required string PodName { get; init; }
    public required string PodNamespace { get; init; }
    /// <summary>Sandbox generation for this pod (0 for the first).</summary>
    public int Attempt { get; init; }
    /// <summary>Environment given to every container of the pod (e.g. KUBERNETES_SERVICE_HOST); container env overrides it.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}
