using Kube.ApiServer.InProcess;
using Kube.Core.Admission;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.Security;

/// <summary>A <see cref="TestCluster"/> whose API server runs the given admission plugins, each reading through the server's own administrator client.</summary>
internal static class AdmissionTestCluster
{
    public static async Task<TestCluster> StartAsync(params Func<IKubeClient, IAdmissionPlugin>[] plugins)
    {
        var client = new TaskCompletionSource<IKubeClient>();
        var deferred = new DeferredKubeClient(_ => client.Task);
        var services = new ServiceCollection();
        foreach (var plugin in plugins) services.AddSingleton(plugin(deferred));
        var cluster = await TestCluster.StartAsync(services: services.BuildServiceProvider());
        client.SetResult(cluster.Server.CreateClient(UserInfo.Admin));
        return cluster;
    }
}
