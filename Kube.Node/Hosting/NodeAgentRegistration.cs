using Kube.Node.Agent;

namespace Kube.Node.Hosting;

/// <summary>Marks one registered agent in the service collection (to number agents and refuse duplicate node names).</summary>
internal sealed record NodeAgentRegistration(NodeAgentOptions Options);
