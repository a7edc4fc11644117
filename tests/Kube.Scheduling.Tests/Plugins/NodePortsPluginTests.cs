using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.NodePorts;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class NodePortsPluginTests
{
    private static V1Pod WithPort(string name, int hostPort, string? protocol, string? hostIP, string? nodeName = null)
    {
        var pod = TestObjects.Pod(name, nodeName: nodeName);
        pod.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = hostPort, Protocol = protocol, HostIP = hostIP }];
        return pod;
    }

    [TestMethod]
    // existing port, protocol, hostIP | new port, protocol, hostIP | conflict
    [DataRow(8080, "TCP", null, 8080, "TCP", null, true)]
    [DataRow(8080, null, null, 8080, "TCP", null, true)]
    [DataRow(8080, "TCP", null, 8081, "TCP", null, false)]
    [DataRow(8080, "TCP", null, 8080, "UDP", null, false)]
    [DataRow(8080, "TCP", "10.0.0.1", 8080, "TCP", "10.0.0.2", false)]
    [DataRow(8080, "TCP", "10.0.0.1", 8080, "TCP", "10.0.0.1", true)]
    [DataRow(8080, "TCP", "0.0.0.0", 8080, "TCP", "10.0.0.2", true)]
    [DataRow(8080, "TCP", "10.0.0.1", 8080, "TCP", "0.0.0.0", true)]
    [DataRow(8080, "TCP", "10.0.0.1", 8080, "TCP", null, true)]
    [DataRow(8080, "SCTP", null, 8080, "SCTP", null, true)]
    public void Filter_DetectsHostPortConflicts(int port, string? protocol, string? ip, int newPort, string? newProtocol, string? newIp, bool conflict)
    {
        var node = NodeInfo.Create(TestObjects.Node("n1"), WithPort("existing", port, protocol, ip, "n1"));
        var pod = WithPort("p", newPort, newProtocol, newIp);
        var plugin = new NodePortsPlugin();
        var state = new CycleState();
        Assert.IsTrue(plugin.PreFilter(state, pod, [node]).IsSuccess);
        var status = plugin.Filter(state, pod, node);
        Assert.AreEqual(conflict ? StatusCode.Unschedulable : StatusCode.Success, status.Code);
        if (conflict) Assert.AreEqual("node(s) didn't have free ports for the requested pod ports", status.Message);
    }

    [TestMethod]
    public void PreFilter_Skips_WhenThePodHasNoHostPorts()
    {
        Assert.IsTrue(new NodePortsPlugin().PreFilter(new CycleState(), TestObjects.Pod("p"), []).IsSkip);
    }
}
