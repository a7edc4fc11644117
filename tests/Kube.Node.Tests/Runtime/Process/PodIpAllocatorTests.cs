using Kube.Node.Runtime.Process;

namespace Kube.Node.Tests.Runtime.Process;

[TestClass]
public sealed class PodIpAllocatorTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init() => _dir = TestUtil.TempDir("kube-node-ips");

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    private string StatePath => Path.Combine(_dir, "ips.json");

    [TestMethod]
    public void Allocate_GivesDistinctHostAddresses_AndTheSameIpForTheSamePod()
    {
        var a = new PodIpAllocator("127.1.3.0/24", StatePath);

        var first = a.Allocate("uid-1");
        var second = a.Allocate("uid-2");

        Assert.AreEqual("127.1.3.2", first);
        Assert.AreEqual("127.1.3.3", second);
        Assert.AreEqual(first, a.Allocate("uid-1"));
        Assert.AreEqual(253, a.Capacity);
    }

    [TestMethod]
    public void Allocate_Throws_WhenTheCidrIsExhausted()
    {
        // A /29 has 8 addresses: .0 network, .1 gateway, .7 broadcast; .2-.6 are pods.
        var a = new PodIpAllocator("127.1.4.0/29", StatePath);
        var ips = Enumerable.Range(0, 5).Select(i => a.Allocate($"uid-{i}")).ToList();

        CollectionAssert.AreEqual(new[] { "127.1.4.2", "127.1.4.3", "127.1.4.4", "127.1.4.5", "127.1.4.6" }, ips);
        Assert.ThrowsExactly<InvalidOperationException>(() => a.Allocate("uid-5"));

        a.Release("uid-2");
        Assert.AreEqual("127.1.4.4", a.Allocate("uid-5"), "a released IP is handed out again");
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("{\"pod-a\": \"127.1.")]
    public void State_LeftEmptyOrTornByAPowerLoss_StartsEmpty(string content)
    {
        File.WriteAllText(StatePath, content);

        var a = new PodIpAllocator("127.1.6.0/24", StatePath);

        Assert.AreEqual(0, a.Allocated);
        Assert.AreEqual("127.1.6.2", a.Allocate("pod-a"));
    }

    [TestMethod]
    public void State_SurvivesARestart()
    {
        var a = new PodIpAllocator("127.1.5.0/24", StatePath);
        var ip1 = a.Allocate("uid-1");
        var ip2 = a.Allocate("uid-2");
        a.Release("uid-1");

        var b = new PodIpAllocator("127.1.5.0/24", StatePath);

        Assert.AreEqual(ip2, b.Lookup("uid-2"));
        Assert.IsNull(b.Lookup("uid-1"));
        Assert.AreEqual(ip2, b.Allocate("uid-2"));
        Assert.AreNotEqual(ip2, b.Allocate("uid-3"));
        Assert.IsNotNull(ip1);
    }

    [TestMethod]
    [DataRow("10.0.0")]
    [DataRow("127.1.0.0/33")]
    [DataRow("fd00::/64")]
    public void Constructor_RejectsBadCidrs(string cidr) =>
        Assert.ThrowsExactly<FormatException>(() => new PodIpAllocator(cidr, StatePath));
}
