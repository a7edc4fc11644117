using k8s.Models;
using Kube.Networking.EndpointSlices;

namespace Kube.Networking.Tests.EndpointSlices;

[TestClass]
public sealed class EndpointSliceBuilderTests
{
    private static V1Service Service(params V1ServicePort[] ports) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = "svc-uid" },
        Spec = new V1ServiceSpec
        {
            Selector = new Dictionary<string, string> { ["app"] = "web" },
            Ports = ports.Length > 0 ? ports : [new V1ServicePort { Name = "http", Port = 80, TargetPort = (IntOrString)"http", Protocol = "TCP" }],
        },
    };

    private static V1Pod Pod(string name, string? ip, bool ready = true, string app = "web", bool terminating = false, int containerPort = 8080) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name, NamespaceProperty = "default", Uid = "uid-" + name, Labels = new Dictionary<string, string> { ["app"] = app },
            DeletionTimestamp = terminating ? DateTime.UtcNow : null,
        },
        Spec = new V1PodSpec
        {
            NodeName = "node-1",
            Containers = [new V1Container { Name = "c", Ports = [new V1ContainerPort { Name = "http", ContainerPort = containerPort }] }],
        },
        Status = new V1PodStatus
        {
            Phase = "Running",
            PodIP = ip,
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
        },
    };

    [TestMethod]
    public void Plan_CreatesOneSlice_WithEndpointsOfSelectedPodsThatHaveAnIp()
    {
        var pods = new[] { Pod("b", "127.1.1.3"), Pod("a", "127.1.1.2", ready: false), Pod("c", null), Pod("other", "127.1.1.9", app: "db"), Pod("t", "127.1.1.4", terminating: true) };

        var plan = EndpointSliceBuilder.Plan(Service(), pods, [], 100);

        Assert.AreEqual(1, plan.Create.Count);
        var slice = plan.Create[0];
        Assert.AreEqual("web-", slice.Metadata.GenerateName);
        Assert.AreEqual("IPv4", slice.AddressType);
        Assert.AreEqual("web", slice.Metadata.Labels[EndpointSliceLabels.ServiceName]);
        Assert.AreEqual(EndpointSliceLabels.ControllerName, slice.Metadata.Labels[EndpointSliceLabels.ManagedBy]);
        Assert.AreEqual("svc-uid", slice.Metadata.OwnerReferences.Single().Uid);
        Assert.IsTrue(slice.Metadata.OwnerReferences.Single().Controller);
        CollectionAssert.AreEqual(new[] { "a", "b", "t" }, slice.Endpoints.Select(e => e.TargetRef.Name).ToList());
        var a = slice.Endpoints[0];
        Assert.AreEqual("127.1.1.2", a.Addresses.Single());
        Assert.IsFalse(a.Conditions.Ready);
        Assert.AreEqual("node-1", a.NodeName);
        Assert.IsTrue(slice.Endpoints[1].Conditions.Ready);
        var t = slice.Endpoints[2];
        Assert.IsFalse(t.Conditions.Ready);
        Assert.IsTrue(t.Conditions.Serving);
        Assert.IsTrue(t.Conditions.Terminating);
        var port = slice.Ports.Single();
        Assert.AreEqual(8080, port.Port, "the named targetPort resolves against the container port");
        Assert.AreEqual("http", port.Name);
    }

    [TestMethod]
    public void Plan_SplitsAtMaxEndpointsPerSlice()
    {
        var pods = Enumerable.Range(0, 250).Select(i => Pod($"p{i:D3}", $"127.1.{i / 200}.{i % 200 + 2}")).ToList();

        var plan = EndpointSliceBuilder.Plan(Service(), pods, [], 100);

        CollectionAssert.AreEqual(new[] { 100, 100, 50 }, plan.Create.Select(s => s.Endpoints.Count).ToList());
    }

    [TestMethod]
    public void Plan_GroupsPodsByResolvedPorts()
    {
        var pods = new[] { Pod("a", "127.1.1.2", containerPort: 8080), Pod("b", "127.1.1.3", containerPort: 9090) };

        var plan = EndpointSliceBuilder.Plan(Service(), pods, [], 100);

        Assert.AreEqual(2, plan.Create.Count);
        CollectionAssert.AreEquivalent(new int?[] { 8080, 9090 }, plan.Create.Select(s => s.Ports.Single().Port).ToList());
    }

    [TestMethod]
    public void Plan_IsEmpty_WhenTheSlicesAreCurrent_AndUpdatesWhenAPodChanges()
    {
        var pods = new List<V1Pod> { Pod("a", "127.1.1.2") };
        var first = EndpointSliceBuilder.Plan(Service(), pods, [], 100).Create.Single();
        first.Metadata.Name = "web-abcde";
        first.Metadata.GenerateName = "web-";
        first.Metadata.ResourceVersion = "7";

        Assert.IsTrue(EndpointSliceBuilder.Plan(Service(), pods, [first], 100).IsEmpty);

        pods.Add(Pod("b", "127.1.1.3"));
        var plan = EndpointSliceBuilder.Plan(Service(), pods, [first], 100);
        Assert.AreEqual(0, plan.Create.Count);
        var updated = plan.Update.Single();
        Assert.AreEqual("web-abcde", updated.Metadata.Name);
        Assert.AreEqual("7", updated.Metadata.ResourceVersion, "updates carry the resourceVersion they were based on");
        Assert.AreEqual(2, updated.Endpoints.Count);
    }

    [TestMethod]
    public void Plan_WithoutPods_KeepsOneEmptySlice_AndWithoutSelector_DeletesAll()
    {
        var empty = EndpointSliceBuilder.Plan(Service(new V1ServicePort { Port = 80, TargetPort = (IntOrString)"8080" }), [], [], 100).Create.Single();
        Assert.AreEqual(0, empty.Endpoints.Count);
        Assert.AreEqual(8080, empty.Ports.Single().Port);
        empty.Metadata.Name = "web-x";

        var noSelector = Service();
        noSelector.Spec.Selector = null;
        var plan = EndpointSliceBuilder.Plan(noSelector, [Pod("a", "127.1.1.2")], [empty], 100);

        Assert.AreEqual("web-x", plan.Delete.Single().Metadata.Name);
        Assert.AreEqual(0, plan.Create.Count);
    }

    [TestMethod]
    public void Plan_PublishNotReadyAddresses_MarksEveryEndpointReady_AndSetsHostnamesOfTheSubdomain()
    {
        var svc = Service();
        svc.Spec.PublishNotReadyAddresses = true;
        var pod = Pod("db-0", "127.1.1.5", ready: false);
        pod.Spec.Hostname = "db-0";
        pod.Spec.Subdomain = "web";

        var endpoint = EndpointSliceBuilder.Plan(svc, [pod], [], 100).Create.Single().Endpoints.Single();

        Assert.IsTrue(endpoint.Conditions.Ready);
        Assert.AreEqual("db-0", endpoint.Hostname);
    }
}
