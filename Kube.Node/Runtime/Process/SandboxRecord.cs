namespace Kube.Node.Runtime.Process;

/// <summary>The persisted state of one sandbox (the file <c>pods/&lt;uid&gt;/sandbox.json</c>).</summary>
internal sealed class SandboxRecord
{
    public string Id { get; set; } = "";
    public string PodUid { get; set; } = "";
    public string PodName { get; set; } = "";
    public string PodNamespace { get; set; } = "";
    public int Attempt { get; set; }
    public string? Ip { get; set; }
    public string WorkingDirectory { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public PodSandboxState State { get; set; }
    public Dictionary<string, string> Environment { get; set; } = [];
    public List<ContainerRecord> Containers { get; set; } = [];
}
