using Kube.Node.Runtime;

namespace Kube.Node.Agent;

/// <summary>
/// Creates a container runtime for an agent, selected by <see cref="NodeAgentOptions.Runtime"/>. Register providers
/// with <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IContainerRuntimeProvider, MyProvider&gt;())</c>;
/// the built-in "process" runtime goes through the same registry.
/// </summary>
public interface IContainerRuntimeProvider
{
    /// <summary>The name options select it by, e.g. "process".</summary>
    string Name { get; }

    /// <summary>A new runtime for one node agent.</summary>
    IContainerRuntime Create(NodeAgentOptions options, IServiceProvider services);
}
