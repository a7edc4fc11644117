namespace Kube.Node.Agent;

/// <summary>A container cannot be configured (a referenced ConfigMap, Secret or key is missing): upstream's CreateContainerConfigError.</summary>
internal sealed class ContainerConfigException(string message) : Exception(message);
