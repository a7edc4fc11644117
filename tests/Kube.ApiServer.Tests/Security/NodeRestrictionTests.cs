using k8s.Models;
using Kube.ApiServer.Admission;
using Kube.Core.Admission;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.Security;

/// <summary>NodeRestriction: what a node identity may create beyond what the Node authorizer can judge by name.</summary>
[TestClass]
public sealed class NodeRestrictionTests
{
    private static TestCluster _cluster = null!;
    private static IKubeClient _node = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        var services = new ServiceCollection().AddSingleton<IAdmissionPlugin>(new NodeRestrictionAdmission()).BuildServiceProvider();
        _cluster = await TestCluster.StartAsync(services: services);
        _node = _cluster.Server.CreateClient(new UserInfo("system:node:n1", ["system:nodes", "system:authenticated"]));
    }

    [ClassCleanup]
    public static async Task CleanupAsync() => await _cluster.DisposeAsync();

    private static V1Pod Pod(string name, string? nodeName, bool mirror, V1Volume? volume = null) => new()
    {
        Metadata = new()
        {
            Name = name,
            NamespaceProperty = "default",
            Annotations = mirror ? new Dictionary<string, string> { [NodeRestrictionAdmission.MirrorPodAnnotation] = "hash" } : null,
        },
        Spec = new()
        {
            NodeName = nodeName,
            Containers = [new V1Container { Name = "c", Image = "busybox" }],
            Volumes = volume is null ? null : [volume],
        },
    };

    private static async Task<string> ForbiddenAsync(Func<Task> act)
    {
        var e = await Assert.ThrowsAsync<KubeApiException>(act);
        Assert.AreEqual(403, (int)e.StatusCode, e.Message);
        return e.Status?.Message ?? e.Message;
    }

    [TestMethod]
    public async Task Node_CreatesItsOwnMirrorPod()
    {
        var pod = await _node.CreateAsync(Pod("static-n1", "n1", mirror: true));
        Assert.AreEqual("n1", pod.Spec.NodeName);
    }

    [TestMethod]
    [DataRow("plain", "n1", false, "pod does not have \"kubernetes.io/config.mirror\" annotation, node \"n1\" can only create mirror pods")]
    [DataRow("elsewhere", "n2", true, "node \"n1\" can only create pods with spec.nodeName set to itself")]
    [DataRow("unbound", null, true, "node \"n1\" can only create pods with spec.nodeName set to itself")]
    public async Task Node_IsRefused_OtherPods(string name, string? nodeName, bool mirror, string message)
    {
        var text = await ForbiddenAsync(() => _node.CreateAsync(Pod(name, nodeName, mirror)));
        StringAssert.Contains(text, message);
    }

    [TestMethod]
    public async Task Node_IsRefused_MirrorPodsThatReferenceSecrets()
    {
        var volume = new V1Volume { Name = "s", Secret = new V1SecretVolumeSource { SecretName = "top" } };
        var text = await ForbiddenAsync(() => _node.CreateAsync(Pod("with-secret", "n1", mirror: true, volume)));
        StringAssert.Contains(text, "can not create pods that reference secrets");
    }

    [TestMethod]
    public async Task Node_MayRegisterOnlyItself()
    {
        await _node.CreateAsync(new V1Node { Metadata = new() { Name = "n1" } });
        var text = await ForbiddenAsync(() => _node.CreateAsync(new V1Node { Metadata = new() { Name = "n2" } }));
        StringAssert.Contains(text, "node \"n1\" is not allowed to modify node \"n2\"");
    }

    [TestMethod]
    public async Task OtherUsers_AreNotRestricted()
    {
        var pod = await _cluster.Server.CreateClient(UserInfo.Admin).CreateAsync(Pod("admin-made", null, mirror: false));
        Assert.IsNull(pod.Spec.NodeName);
    }
}
