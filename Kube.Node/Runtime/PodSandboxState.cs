namespace Kube.Node.Runtime;

/// <summary>The state of a pod sandbox, as CRI's PodSandboxState.</summary>
public enum PodSandboxState
{
    Ready,
    NotReady,
}
