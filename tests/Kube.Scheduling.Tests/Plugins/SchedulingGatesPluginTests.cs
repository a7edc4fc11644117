using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.SchedulingGates;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class SchedulingGatesPluginTests
{
    [TestMethod]
    // gates (comma-separated, "" for none) | expected code | message
    [DataRow("", StatusCode.Success, "")]
    [DataRow("example.com/quota", StatusCode.UnschedulableAndUnresolvable, "waiting for scheduling gates: [example.com/quota]")]
    [DataRow("a,b", StatusCode.UnschedulableAndUnresolvable, "waiting for scheduling gates: [a b]")]
    public void PreEnqueue_RejectsGatedPods(string gates, StatusCode expected, string message)
    {
        var pod = TestObjects.Pod("p");
        pod.Spec.SchedulingGates = gates.Length == 0 ? null : gates.Split(',').Select(g => new V1PodSchedulingGate { Name = g }).ToList();
        var status = new SchedulingGatesPlugin().PreEnqueue(pod);
        Assert.AreEqual(expected, status.Code);
        Assert.AreEqual(message, status.Message);
    }
}
