using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.VolumeBinding;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class VolumeBindingPluginTests
{
    private static V1Node Node(string name, string zone)
    {
        var n = TestObjects.Node(name);
        n.Metadata.Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name, ["zone"] = zone };
        return n;
    }

    private static V1PersistentVolume Pv(string name, string size, string zone, string cls = "local", string? claim = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PersistentVolumeSpec
        {
            Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) },
            AccessModes = ["ReadWriteOnce"],
            StorageClassName = cls,
            ClaimRef = claim is null ? null : new V1ObjectReference { Name = claim, NamespaceProperty = "default" },
            NodeAffinity = new V1VolumeNodeAffinity
            {
                Required = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = [zone] }] }],
                },
            },
        },
        Status = new V1PersistentVolumeStatus { Phase = claim is null ? "Available" : "Bound" },
    };

    private static V1PersistentVolumeClaim Pvc(string name, string? cls, string? volumeName = null, string size = "1Gi") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PersistentVolumeClaimSpec
        {
            StorageClassName = cls,
            VolumeName = volumeName,
            AccessModes = ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(size) } },
        },
    };

    private static V1StorageClass Class(string name, string mode, string provisioner) =>
        new() { Metadata = new V1ObjectMeta { Name = name }, Provisioner = provisioner, VolumeBindingMode = mode };

    private static V1Pod PodWith(params string[] claims)
    {
        var p = TestObjects.Pod("p");
        p.Spec.Volumes = claims.Select(c => new V1Volume { Name = c, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = c } }).ToList();
        return p;
    }

    private static VolumeBindingPlugin Plugin() => new(
        [
            Pvc("bound-a", "local", volumeName: "pv-bound-a"),
            Pvc("wait", "local"),
            Pvc("wait-big", "local", size: "50Gi"),
            Pvc("immediate", "fast"),
            Pvc("dynamic", "cloud"),
            Pvc("noclass", null),
        ],
        [Pv("pv-bound-a", "10Gi", "a", claim: "bound-a"), Pv("pv-a-small", "2Gi", "a"), Pv("pv-a-large", "20Gi", "a"), Pv("pv-c", "5Gi", "c")],
        [Class("local", "WaitForFirstConsumer", VolumeBindingPlugin.NoProvisioner), Class("fast", "Immediate", "csi.example.com"), Class("cloud", "WaitForFirstConsumer", "csi.example.com")]);

    /// <summary>Claims of the pod → the result on node-a (zone a) and node-b (zone b), as upstream's VolumeBinding.</summary>
    [TestMethod]
    [DataRow("bound-a", "Success", "UnschedulableAndUnresolvable: node(s) had volume node affinity conflict", DisplayName = "bound PV follows its node affinity")]
    [DataRow("wait", "Success", "Unschedulable: node(s) didn't find available persistent volumes to bind", DisplayName = "WaitForFirstConsumer needs a PV the node can use")]
    [DataRow("wait-big", "Unschedulable: node(s) didn't find available persistent volumes to bind", "Unschedulable: node(s) didn't find available persistent volumes to bind", DisplayName = "the PV must be big enough")]
    [DataRow("dynamic", "Success", "Success", DisplayName = "dynamic provisioning fits anywhere")]
    [DataRow("bound-a,wait", "Success", "UnschedulableAndUnresolvable: node(s) had volume node affinity conflict", DisplayName = "every claim must fit")]
    public void Filter_FollowsUpstreamsSemantics(string claims, string onA, string onB)
    {
        var plugin = Plugin();
        var pod = PodWith(claims.Split(','));
        var a = NodeInfo.Create(Node("node-a", "a"));
        var b = NodeInfo.Create(Node("node-b", "b"));
        var state = new CycleState();
        Assert.IsTrue(plugin.PreFilter(state, pod, [a, b]).IsSuccess);
        Assert.AreEqual(onA, plugin.Filter(state, pod, a).ToString());
        Assert.AreEqual(onB, plugin.Filter(state, pod, b).ToString());
    }

    [TestMethod]
    [DataRow("immediate", "UnschedulableAndUnresolvable: pod has unbound immediate PersistentVolumeClaims")]
    [DataRow("noclass", "UnschedulableAndUnresolvable: pod has unbound immediate PersistentVolumeClaims")]
    [DataRow("missing", "UnschedulableAndUnresolvable: persistentvolumeclaim \"missing\" not found")]
    public void PreFilter_RejectsClaimsThatCannotBindHere(string claim, string expected) =>
        Assert.AreEqual(expected, Plugin().PreFilter(new CycleState(), PodWith(claim), []).ToString());

    [TestMethod]
    public void PreFilter_SkipsPodsWithoutClaims() =>
        Assert.IsTrue(Plugin().PreFilter(new CycleState(), TestObjects.Pod("p"), []).IsSkip);

    [TestMethod]
    public void Reserve_KeepsTheSmallestFittingVolumeFoundForTheChosenNode()
    {
        var plugin = Plugin();
        var pod = PodWith("wait");
        var a = NodeInfo.Create(Node("node-a", "a"));
        var state = new CycleState();
        plugin.PreFilter(state, pod, [a]);
        Assert.IsTrue(plugin.Filter(state, pod, a).IsSuccess);
        Assert.IsTrue(plugin.Reserve(state, pod, "node-a").IsSuccess);
        Assert.AreEqual(StatusCode.Unschedulable, plugin.Reserve(state, pod, "node-x").Code, "a node Filter never passed");
    }

    [TestMethod]
    public void NodeAllowed_WithoutAffinity_AllowsEveryNode()
    {
        var pv = Pv("x", "1Gi", "a");
        pv.Spec.NodeAffinity = null;
        Assert.IsTrue(VolumeBindingPlugin.NodeAllowed(pv, Node("n", "z")));
    }
}
