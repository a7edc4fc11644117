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
    [DataRow("evictionHard:\n  memory.available: lots", "evictionHard")]
    [DataRow("evictionSoft:\n  memory.available: 1Gi", "evictionSoftGracePeriod")]
    [DataRow("evictionSoftGracePeriod:\n  memory.available: forever", "evictionSoftGracePeriod.memory.available")]
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

    [TestMethod]
    public void Apply_SetsEvictionThresholds_ReplacingTheHardDefaults()
    {
        var path = Write("""
            apiVersion: kubelet.config.k8s.io/v1beta1
            kind: KubeletConfiguration
            evictionHard:
              memory.available: 500Mi
              nodefs.available: "20%"
            evictionSoft:
              memory.available: 1Gi
            evictionSoftGracePeriod:
              memory.available: 1m30s
            evictionPressureTransitionPeriod: 30s
            evictionMaxPodGracePeriod: 60
            """);
        try
        {
            var options = new NodeAgentOptions { NodeName = "n" };
            Assert.AreEqual(0, KubeletConfigurationLoader.Apply(path, options).Count);
            CollectionAssert.AreEquivalent(new[] { "memory.available", "nodefs.available" }, options.EvictionHard.Keys.ToList());
            Assert.AreEqual("500Mi", options.EvictionHard["memory.available"]);
            Assert.AreEqual("1Gi", options.EvictionSoft["memory.available"]);
            Assert.AreEqual(TimeSpan.FromSeconds(90), options.EvictionSoftGracePeriod["memory.available"]);
            Assert.AreEqual(TimeSpan.FromSeconds(30), options.EvictionPressureTransitionPeriod);
            Assert.AreEqual(60, options.EvictionMaxPodGracePeriodSeconds);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
