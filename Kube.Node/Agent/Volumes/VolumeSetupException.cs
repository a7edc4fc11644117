namespace Kube.Node.Agent.Volumes;

/// <summary>A pod's volume cannot be set up (a missing ConfigMap, an unsupported type); the message says which and why.</summary>
internal sealed class VolumeSetupException(string message) : Exception(message);
