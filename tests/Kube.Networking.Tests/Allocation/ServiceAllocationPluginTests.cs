using System.Text.Json.Nodes;
using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Core.Resources;
using Kube.Networking.Allocation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Networking.Tests.Allocation;

[TestClass]
public sealed class ServiceAllocationPluginTests
{
    private static readonly ResourceType Services = BuiltInTypes.All.Single(t => t.Kind == "Service");

    private static (ServiceAllocationPlugin Plugin, ServiceAllocationState State) NewPlugin(string cidr = "127.10.0.0/16", params V1Service[] existing)
    {
        var state = new ServiceAllocationState(new NetworkingOptions { ServiceCidr = cidr }, new ServiceCollection().BuildServiceProvider(),
            TimeProvider.System, NullLogger<ServiceAllocationState>.Instance);
        state.InitializeFrom(existing);
        return (new ServiceAllocationPlugin(state), state);
    }

    private static AdmissionRequest Create(string json, string ns = "default", bool dryRun = false) => new()
    {
        Resource = Services,
        Operation = AdmissionOperation.Create,
        Namespace = ns,
        Object = JsonNode.Parse(json)!.AsObject(),
        User = UserInfo.Admin,
        DryRun = dryRun,
    };

    private static string Svc(string name, string spec) => $$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{name}}"},"spec":{{spec}}}""";

    [TestMethod]
    public async Task Create_WithoutClusterIp_GetsOneFromTheRange()
    {
        var (plugin, state) = NewPlugin();
        var req = Create(Svc("web", """{"selector":{"app":"web"},"ports":[{"port":80}]}"""));

        Assert.IsTrue(plugin.Handles(req));
        await plugin.AdmitAsync(req, CancellationToken.None);

        var spec = req.Object!["spec"]!;
        Assert.AreEqual("127.10.0.2", spec["clusterIP"]!.GetValue<string>());
        Assert.AreEqual("127.10.0.2", spec["clusterIPs"]![0]!.GetValue<string>());
        Assert.AreEqual("IPv4", spec["ipFamilies"]![0]!.GetValue<string>());
        Assert.IsTrue(state.ClusterIps.IsAllocated("127.10.0.2"));
    }

    [TestMethod]
    public async Task KubernetesService_GetsTheReservedFirstIp()
    {
        var (plugin, _) = NewPlugin();
        var req = Create(Svc("kubernetes", """{"ports":[{"port":443}]}"""));

        await plugin.AdmitAsync(req, CancellationToken.None);

        Assert.AreEqual("127.10.0.1", req.Object!["spec"]!["clusterIP"]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Headless_AndExternalName_AreLeftAlone()
    {
        var (plugin, state) = NewPlugin();
        var headless = Create(Svc("db", """{"clusterIP":"None","selector":{"app":"db"}}"""));
        var external = Create(Svc("ext", """{"type":"ExternalName","externalName":"example.com"}"""));

        await plugin.AdmitAsync(headless, CancellationToken.None);
        await plugin.AdmitAsync(external, CancellationToken.None);

        Assert.AreEqual("None", headless.Object!["spec"]!["clusterIP"]!.GetValue<string>());
        Assert.IsNull(external.Object!["spec"]!["clusterIP"]);
        Assert.AreEqual(0, state.ClusterIps.Used);
    }

    [TestMethod]
    [DataRow("10.0.0.5", "not in the valid range")]
    [DataRow("127.10.0.1", "reserved")]
    [DataRow("bogus", "valid IPv4 address")]
    [DataRow("127.10.9.9", "already allocated")]
    public async Task Create_WithABadRequestedIp_Is422NamingTheField(string ip, string message)
    {
        var existing = new V1Service { Metadata = new V1ObjectMeta { Name = "old", NamespaceProperty = "default" }, Spec = new V1ServiceSpec { ClusterIP = "127.10.9.9", ClusterIPs = ["127.10.9.9"] } };
        var (plugin, _) = NewPlugin(existing: existing);
        var req = Create(Svc("web", $$"""{"clusterIP":"{{ip}}","ports":[{"port":80}]}"""));

        var ex = await Assert.ThrowsExactlyAsync<InvalidException>(async () => await plugin.AdmitAsync(req, CancellationToken.None));

        Assert.AreEqual(422, ex.Status.Code);
        Assert.AreEqual("Invalid", ex.Status.Reason);
        StringAssert.Contains(ex.Status.Message, message);
        var fields = ex.Status.Details!.Causes!.Select(c => c.Field).ToList();
        CollectionAssert.AreEquivalent(new[] { "spec.clusterIPs[0]", "spec.clusterIP" }, fields);
        Assert.AreEqual("Service", ex.Status.Details.Kind);
    }

    [TestMethod]
    public async Task Create_WhenTheRangeIsFull_Is422()
    {
        var (plugin, _) = NewPlugin("127.10.7.0/29");
        for (var i = 0; i < 5; i++)
        {
            await plugin.AdmitAsync(Create(Svc($"s{i}", """{"ports":[{"port":80}]}""")), CancellationToken.None);
        }

        var ex = await Assert.ThrowsExactlyAsync<InvalidException>(async () =>
            await plugin.AdmitAsync(Create(Svc("full", """{"ports":[{"port":80}]}""")), CancellationToken.None));

        StringAssert.Contains(ex.Status.Message, "range 127.10.7.0/29 is full");
    }

    [TestMethod]
    public async Task NodePortService_GetsNodePorts_AndATakenNodePortIsRejected_WithoutLeakingTheIp()
    {
        var (plugin, state) = NewPlugin();
        var req = Create(Svc("np", """{"type":"NodePort","ports":[{"port":80},{"port":443,"nodePort":31000}]}"""));

        await plugin.AdmitAsync(req, CancellationToken.None);

        var ports = req.Object!["spec"]!["ports"]!.AsArray();
        Assert.AreEqual(30000, ports[0]!["nodePort"]!.GetValue<int>());
        Assert.AreEqual(31000, ports[1]!["nodePort"]!.GetValue<int>());

        var clash = Create(Svc("np2", """{"type":"NodePort","ports":[{"port":80,"nodePort":31000}]}"""));
        var ex = await Assert.ThrowsExactlyAsync<InvalidException>(async () => await plugin.AdmitAsync(clash, CancellationToken.None));
        Assert.AreEqual("spec.ports[0].nodePort", ex.Status.Details!.Causes!.Single().Field);
        Assert.AreEqual(1, state.ClusterIps.Used, "the IP taken for the rejected Service is released");
    }

    [TestMethod]
    public async Task DryRun_DoesNotKeepTheAllocation()
    {
        var (plugin, state) = NewPlugin();
        var req = Create(Svc("dry", """{"ports":[{"port":80}]}"""), dryRun: true);

        await plugin.AdmitAsync(req, CancellationToken.None);

        Assert.IsNotNull(req.Object!["spec"]!["clusterIP"]);
        Assert.AreEqual(0, state.ClusterIps.Used);
    }

    [TestMethod]
    public async Task Update_KeepsTheClusterIp_AndRejectsAChange()
    {
        var (plugin, _) = NewPlugin();
        var created = Create(Svc("web", """{"ports":[{"port":80}]}"""));
        await plugin.AdmitAsync(created, CancellationToken.None);
        var old = created.Object!.DeepClone().AsObject();

        var update = new AdmissionRequest
        {
            Resource = Services, Operation = AdmissionOperation.Update, Namespace = "default", Name = "web",
            Object = JsonNode.Parse(Svc("web", """{"ports":[{"port":81}]}"""))!.AsObject(), OldObject = old, User = UserInfo.Admin,
        };
        await plugin.AdmitAsync(update, CancellationToken.None);
        Assert.AreEqual("127.10.0.2", update.Object!["spec"]!["clusterIP"]!.GetValue<string>());

        var change = new AdmissionRequest
        {
            Resource = Services, Operation = AdmissionOperation.Update, Namespace = "default", Name = "web",
            Object = JsonNode.Parse(Svc("web", """{"clusterIP":"127.10.0.77","ports":[{"port":81}]}"""))!.AsObject(), OldObject = old, User = UserInfo.Admin,
        };
        var ex = await Assert.ThrowsExactlyAsync<InvalidException>(async () => await plugin.AdmitAsync(change, CancellationToken.None));
        StringAssert.Contains(ex.Status.Message, "immutable");
    }

    [TestMethod]
    public void Rebuild_FromExistingServices_MarksTheirIpsAndPortsUsed()
    {
        var existing = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "np", NamespaceProperty = "default" },
            Spec = new V1ServiceSpec { Type = "NodePort", ClusterIP = "127.10.0.2", ClusterIPs = ["127.10.0.2"], Ports = [new V1ServicePort { Port = 80, NodePort = 30000 }] },
        };

        var (_, state) = NewPlugin(existing: existing);

        Assert.IsTrue(state.ClusterIps.IsAllocated("127.10.0.2"));
        Assert.IsTrue(state.NodePorts.IsAllocated(30000));
        Assert.AreEqual("127.10.0.3", state.ClusterIps.AllocateNext());
        Assert.AreEqual(30001, state.NodePorts.AllocateNext());

        state.Release(existing);
        Assert.IsFalse(state.ClusterIps.IsAllocated("127.10.0.2"));
        Assert.IsFalse(state.NodePorts.IsAllocated(30000));
    }
}
