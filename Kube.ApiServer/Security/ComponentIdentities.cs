using Kube.ApiServer.Hosting;
using Kube.ApiServer.InProcess;
using Kube.Core.Admission;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Security;

/// <summary>
/// The identities of the built-in components (as upstream's bootstrap policy names them) and in-process clients that
/// carry them, so RBAC and the Node authorizer apply to the components with least privilege.
/// </summary>
public static class ComponentIdentities
{
    public static UserInfo Scheduler { get; } = new("system:kube-scheduler", ["system:authenticated"]);

    public static UserInfo ControllerManager { get; } = new("system:kube-controller-manager", ["system:authenticated"]);

    /// <summary>
    /// The EndpointSlice controller, as kube-controller-manager runs it with <c>--use-service-account-credentials</c>:
    /// <c>system:serviceaccount:kube-system:endpointslice-controller</c>, bound to <c>system:controller:endpointslice-controller</c>.
    /// </summary>
    public static UserInfo EndpointSliceController { get; } = new("system:serviceaccount:kube-system:endpointslice-controller",
        ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]);

    /// <summary>A node agent: <c>system:node:&lt;name&gt;</c> in <c>system:nodes</c>.</summary>
    public static UserInfo Node(string name) => new(Authorization.NodeAuthorizer.NodeUserPrefix + name, [Authorization.NodeAuthorizer.NodesGroup, "system:authenticated"]);

    /// <summary>
    /// An in-process client of the hosted API server (registered by <c>AddKubeApiServer</c>) that runs every request as
    /// <paramref name="user"/>; it waits for the server to start on first use.
    /// </summary>
    public static IKubeClient ClientFor(IServiceProvider services, UserInfo user)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(user);
        var host = services.GetRequiredService<ApiServerHostedService>();
        return new DeferredKubeClient(async ct => (await host.ServerAsync(ct).ConfigureAwait(false)).CreateClient(user));
    }
}
