using k8s.Models;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.ImageLocality;

namespace Kube.Scheduling.Tests.Plugins;

[TestClass]
public sealed class ImageLocalityPluginTests
{
    private const long MiB = 1024 * 1024;

    private static V1Node WithImages(string name, params (string Name, long Size)[] images)
    {
        var node = TestObjects.Node(name);
        node.Status.Images = images.Select(i => new V1ContainerImage { Names = [i.Name], SizeBytes = i.Size }).ToList();
        return node;
    }

    [TestMethod]
    // pod image | image on node 1 (size MiB) | node 2 has it too | expected score on node 1
    [DataRow("app:v1", "app:v1", 523L, false, 24L)]   // on 1 of 2 nodes: 261.5 MiB -> (261.5 - 23) * 100 / 977
    [DataRow("app:v1", "app:v1", 1000L, true, 100L)]  // on every node: full size counts
    [DataRow("app", "app:latest", 1000L, true, 100L)] // no tag means :latest
    [DataRow("app:v2", "app:v1", 1000L, true, 0L)]    // another tag is another image
    [DataRow("app:v1", "app:v1", 10L, true, 0L)]      // below the 23 MiB threshold
    public void Score_ScalesImageSizeBySpread(string podImage, string nodeImage, long sizeMiB, bool onOtherNode, long expected)
    {
        var n1 = NodeInfo.Create(WithImages("n1", (nodeImage, sizeMiB * MiB)));
        var n2 = NodeInfo.Create(onOtherNode ? WithImages("n2", (nodeImage, sizeMiB * MiB)) : WithImages("n2"));
        var pod = TestObjects.Pod("p");
        pod.Spec.Containers[0].Image = podImage;
        var plugin = new ImageLocalityPlugin();
        var state = new CycleState();
        Assert.IsTrue(plugin.PreFilter(state, pod, [n1, n2]).IsSuccess);
        Assert.AreEqual(expected, plugin.Score(state, pod, n1).Score);
    }
}
