using Kube.Node.Runtime;
using Kube.Node.Runtime.Cri;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Agent;

/// <summary>
/// The "cri" runtime provider: a <see cref="CriRuntime"/> talking CRI v1 to containerd (or another CRI runtime) over
/// its unix socket. Register it with
/// <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IContainerRuntimeProvider, CriRuntimeProvider&gt;())</c>
/// and select it with <see cref="NodeAgentOptions.Runtime"/> = "cri".
/// </summary>
/// <remarks>
/// Each agent's runtime gets: <see cref="CriRuntimeOptions.SocketPath"/> = <see cref="SocketPath"/>,
/// <see cref="CriRuntimeOptions.Owner"/> = the node name (so agents sharing one containerd keep apart), and
/// <see cref="CriRuntimeOptions.LogRoot"/> = <c>&lt;agent data dir&gt;/cri/pods</c>.
/// </remarks>
public sealed class CriRuntimeProvider : IContainerRuntimeProvider
{
    /// <summary>A provider for containerd's default socket, <see cref="CriRuntimeOptions.DefaultSocketPath"/>.</summary>
    public CriRuntimeProvider()
        : this(CriRuntimeOptions.DefaultSocketPath)
    {
    }

    /// <summary>A provider for the CRI runtime listening on <paramref name="socketPath"/>.</summary>
    public CriRuntimeProvider(string socketPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(socketPath);
        SocketPath = socketPath;
    }

    public string Name => "cri";

    /// <summary>The unix socket of the CRI runtime. Default <see cref="CriRuntimeOptions.DefaultSocketPath"/>.</summary>
    public string SocketPath { get; }

    public IContainerRuntime Create(NodeAgentOptions options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        return new CriRuntime(
            new CriRuntimeOptions
            {
                SocketPath = SocketPath,
                Owner = options.NodeName,
                LogRoot = Path.GetFullPath(Path.Combine(options.EffectiveDataDir, "cri", "pods")),
            },
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetService<ILoggerFactory>()?.CreateLogger<CriRuntime>() ?? NullLogger<CriRuntime>.Instance);
    }
}
