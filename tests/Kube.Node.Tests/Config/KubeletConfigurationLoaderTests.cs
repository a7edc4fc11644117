using Kube.Node.Agent;
using Kube.Node.Config;

namespace Kube.Node.Tests.Config;

[TestClass]
public sealed class KubeletConfigurationLoaderTests
{
    private static string Write(string yaml)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubelet-config-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [TestMethod]
    public void Apply_SetsKnownFields_AndWarnsAboutUnknownAndUnimplementedOnes()
    {
        var path = Write("""
            apiVersion: kubelet.config.k8s.io/v1beta1
            kind: KubeletConfiguration
            maxPods: 42
            address: 127.0.0.1
            port: 10260
            syncFrequency: 1m30s
            nodeStatusUpdateFrequency: 500ms
            staticPodPath: /etc/kubernetes/manifests
            fileCheckFrequency: 2s
            cpuManagerPolicy: none
            frobnicate: true
            """);
        try
        {
            var options = new NodeAgentOptions { NodeName = "n" };
            var warnings = KubeletConfigurationLoader.Apply(path, options);

            Assert.AreEqual(42, options.MaxPods);
            Assert.AreEqual(10260, options.KubeletPort);
            Assert.AreEqual(TimeSpan.FromSeconds(90), options.ResyncInterval);
            Assert.AreEqual(TimeSpan.FromMilliseconds(500), options.NodeStatusUpdateInterval);
            Assert.AreEqual("/etc/kubernetes/manifests", options.StaticPodPath);
            Assert.AreEqual(TimeSpan.FromSeconds(2), options.FileCheckFrequency);
            Assert.AreEqual(2, warnings.Count);
            Assert.IsTrue(warnings.Any(w => w.Contains("unknown field \"frobnicate\"", StringComparison.Ordinal)));
            Assert.IsTrue(warnings.Any(w => w.Contains("\"cpuManagerPolicy\" is known but not implemented", StringComparison.Ordinal)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    [DataRow("maxPods: -3", "maxPods")]
    [DataRow("syncFrequency: soon", "syncFrequency")]
    [DataRow("address: 10.0.0.1", "address")]
    [DataRow("port: 70000", "port")]
    [DataRow("staticPodPath: relative/dir", "staticPodPath")]
    public void Apply_RefusesInvalidValues_NamingTheField(string line, string field)
    {
        var path = Write("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n" + line + "\n");
        try
        {
            var ex = Assert.ThrowsExactly<ArgumentException>(() => KubeletConfigurationLoader.Apply(path, new NodeAgentOptions { NodeName = "n" }));
            StringAssert.Contains(ex.Message, field);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
