using Kube.Core.Client;
using Kube.Node.Agent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kube.Node.Tests;

[TestClass]
public sealed class HostingTests
{
    [TestMethod]
    public async Task AddKubeNodeAgent_Twice_RegistersTwoAgents_WithTheirOwnPodCidrs()
    {
        await using var cluster = await TestCluster.StartAsync();
        var dir = TempDirs.Create("kube-node-hosting");
        var services = new ServiceCollection();
        services.AddSingleton(cluster.Client);
        services.AddKubeNodeAgent(o => { o.NodeName = "n1"; o.DataDir = Path.Combine(dir, "n1"); });
        services.AddKubeNodeAgent(o => { o.NodeName = "n2"; o.DataDir = Path.Combine(dir, "n2"); });
        await using var sp = services.BuildServiceProvider();

        var agents = sp.GetServices<IHostedService>().OfType<NodeAgent>().ToList();

        CollectionAssert.AreEqual(new[] { "n1", "n2" }, agents.Select(a => a.NodeName).ToList());
        Assert.AreSame(agents[1], sp.GetRequiredKeyedService<NodeAgent>("n2"));
        Assert.AreEqual("process", agents[0].Runtime.RuntimeName);
        Directory.Delete(dir, recursive: true);
    }

    [TestMethod]
    public void AddKubeNodeAgent_RejectsADuplicateNodeName_AndAnUnknownRuntimeFailsClearly()
    {
        var services = new ServiceCollection();
        services.AddKubeNodeAgent(o => o.NodeName = "n1");
        Assert.ThrowsExactly<ArgumentException>(() => services.AddKubeNodeAgent(o => o.NodeName = "n1"));
        var cidr = Assert.ThrowsExactly<ArgumentException>(() => services.AddKubeNodeAgent(o => { o.NodeName = "n2"; o.PodCidr = "127.1.1.0/24"; }));
        StringAssert.Contains(cidr.Message, "pod CIDR");

        services.AddSingleton<IKubeClient>(_ => throw new InvalidOperationException("not needed"));
        services.AddKubeNodeAgent(o => { o.NodeName = "n3"; o.Runtime = "containerd-someday"; });
        using var sp = services.BuildServiceProvider();
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => sp.GetRequiredKeyedService<NodeAgent>("n3"));
        StringAssert.Contains(ex.Message, "no container runtime named \"containerd-someday\"");
    }
}
