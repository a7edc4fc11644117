using Kube.Node.Runtime;
using Kube.Node.Runtime.Process;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Agent;

/// <summary>The "process" runtime provider: <see cref="ProcessRuntime"/> over the agent's data directory and pod CIDR.</summary>
internal sealed class ProcessRuntimeProvider : IContainerRuntimeProvider
{
    public string Name => "process";

    public IContainerRuntime Create(NodeAgentOptions options, IServiceProvider services) =>
        new ProcessRuntime(
            new ProcessRuntimeOptions { DataDir = Path.Combine(options.EffectiveDataDir, "runtime"), PodCidr = options.EffectivePodCidr },
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetService<ILoggerFactory>()?.CreateLogger<ProcessRuntime>() ?? NullLogger<ProcessRuntime>.Instance);
}
