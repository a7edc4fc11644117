using Grpc.Core;
using Kube.Node.Runtime.Cri;
using Kube.Testing.Containerd;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests.Cri;

/// <summary>The cri runtime over a <see cref="PrivateContainerd"/>.</summary>
internal static class PrivateContainerdCri
{
    /// <summary>Starts the private containerd, which removes every sandbox through CRI before it stops.</summary>
    public static async Task<PrivateContainerd> StartAsync(CancellationToken cancellationToken)
    {
        var containerd = await PrivateContainerd.StartAsync(cancellationToken);
        containerd.BeforeStopAsync = () => RemoveAllSandboxesAsync(containerd);
        return containerd;
    }

    /// <summary>A runtime over this containerd.</summary>
    public static CriRuntime NewRuntime(this PrivateContainerd containerd, string owner) => new(
        new CriRuntimeOptions { SocketPath = containerd.Socket, Owner = owner, LogRoot = Path.Combine(containerd.Dir, "logs", owner), CallTimeout = TimeSpan.FromSeconds(30) },
        TimeProvider.System,
        NullLogger<CriRuntime>.Instance);

    // Every sandbox (of any owner), so that containerd stops the containers and their shims.
    private static async Task RemoveAllSandboxesAsync(PrivateContainerd containerd)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await using var runtime = containerd.NewRuntime("cleanup");
            using var channel = CriChannel.ForUnixSocket(containerd.Socket, TimeSpan.FromSeconds(2));
            var client = new Kube.Node.Runtime.Cri.V1.RuntimeService.RuntimeServiceClient(channel);
            var all = await client.ListPodSandboxAsync(new Kube.Node.Runtime.Cri.V1.ListPodSandboxRequest(), cancellationToken: cts.Token);
            foreach (var s in all.Items)
            {
                await runtime.RemovePodSandboxAsync(s.Id, cts.Token);
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or InvalidOperationException)
        {
            Console.WriteLine($"cleanup: removing sandboxes failed: {ex.Message}");
        }
    }
}
