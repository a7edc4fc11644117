using Kube.Core.Client;

namespace Kube.ApiServer.Admission;

/// <summary>
/// An admission plugin that wants the API server's loopback client (upstream's WantsExternalKubeClientSet initializer):
/// the server hands it an in-process client with the server's own identity as soon as its registry exists, before it
/// creates its initial namespaces and bootstrap policy, so the plugin can read the cluster during the server's own
/// start-up instead of waiting on a client that waits for the server.
/// </summary>
public interface IWantsLoopbackClient
{
    /// <summary>Called once by the server, before the first request is admitted.</summary>
    void SetLoopbackClient(IKubeClient loopback);
}
