namespace Kube.Node.Server;

/// <summary>The pod a port-forward session reaches: its name, namespace and UID (for messages) and its IP (dialled).</summary>
internal sealed record PortForwardTarget(string Name, string Namespace, string Uid, string? Ip);
