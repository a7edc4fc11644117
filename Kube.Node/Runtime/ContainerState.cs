namespace Kube.Node.Runtime;

/// <summary>The state of a container, as CRI's ContainerState.</summary>
public enum ContainerState
{
    Created,
    Running,
    Exited,
    Unknown,
}
