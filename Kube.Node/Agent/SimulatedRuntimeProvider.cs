using Kube.Node.Runtime;
using Kube.Node.Runtime.Simulated;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.Node.Agent;

/// <summary>The "simulated" runtime provider: containers run virtually (no processes), for scale tests.</summary>
internal sealed class SimulatedRuntimeProvider : IContainerRuntimeProvider
{
    public string Name => "simulated";

    public IContainerRuntime Create(NodeAgentOptions options, IServiceProvider services) =>
        new SimulatedRuntime(options.EffectivePodCidr, services.GetService<TimeProvider>());
}
