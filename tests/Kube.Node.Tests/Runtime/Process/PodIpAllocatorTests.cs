using System.Diagnostics;
using Kube.Node.Runtime.Process;

namespace Kube.Node.Tests.Runtime.Process;

[TestClass]
public sealed class PodIpAllocatorTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init() => _dir = TempDirs.Create("kube-node-ips");

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
    public void TwoAllocators_WithSeparateStateButOneMachine_NeverHandOutTheSameIp()
    {
        // Two runtimes (separate data dirs, same pod CIDR), as two clusters on one machine have.
        using var a = new PodIpAllocator("127.1.4.0/29", Path.Combine(_dir, "a.json"), Claims());
        using var b = new PodIpAllocator("127.1.4.0/29", Path.Combine(_dir, "b.json"), Claims());

        var ips = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ips.Add((i % 2 == 0 ? a : b).Allocate($"uid-{i}"));
        }

        Assert.AreEqual(5, ips.Distinct().Count(), string.Join(", ", ips));
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => a.Allocate("uid-5"));
        StringAssert.Contains(ex.Message, "claimed by other runtimes on this machine");

        b.Release("uid-1");
        Assert.AreEqual(ips[1], a.Allocate("uid-5"), "an IP the other runtime released is free again");
    }

    [TestMethod]
    public void Claims_DropWithTheAllocator_SoARestartedRuntimeGetsItsIpsBack()
    {
        var state = Path.Combine(_dir, "a.json");
        string ip;
        using (var a = new PodIpAllocator("127.1.4.0/29", state, Claims()))
        {
            ip = a.Allocate("uid-1");
        }

        using var restarted = new PodIpAllocator("127.1.4.0/29", state, Claims());
        using var other = new PodIpAllocator("127.1.4.0/29", Path.Combine(_dir, "b.json"), Claims());

        Assert.AreEqual(ip, restarted.Lookup("uid-1"));
        Assert.AreNotEqual(ip, other.Allocate("uid-2"), "the restarted runtime claimed its pod's IP again");
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public async Task Allocate_SkipsIpsAnotherProcessHolds_UntilThatProcessDies()
    {
        var flock = new[] { "/usr/bin/flock", "/bin/flock" }.FirstOrDefault(File.Exists);
        if (flock is null)
        {
            Assert.Inconclusive("flock(1) is needed to hold a claim from another process: apt-get install -y util-linux");
        }

        var claims = Path.Combine(_dir, "claims");
        using var a = new PodIpAllocator("127.1.4.0/29", StatePath, Claims());

        // Another process takes the claims on .2 and .3 the way a runtime of another cluster would: an exclusive flock.
        var psi = new ProcessStartInfo(flock) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(claims, "127.1.4.2"), flock, Path.Combine(claims, "127.1.4.3"), "sh", "-c", "echo held; exec sleep 600" })
        {
            psi.ArgumentList.Add(arg);
        }

        using var holder = System.Diagnostics.Process.Start(psi)!;
        try
        {
            Assert.AreEqual("held", await holder.StandardOutput.ReadLineAsync(TestContext.CancellationToken));

            Assert.AreEqual("127.1.4.4", a.Allocate("uid-1"));
            Assert.AreEqual("127.1.4.5", a.Allocate("uid-2"));
            Assert.AreEqual("127.1.4.6", a.Allocate("uid-3"));
            Assert.ThrowsExactly<InvalidOperationException>(() => a.Allocate("uid-4"));
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync(TestContext.CancellationToken);
        }

        // kill -9 ends the other process's claims with it: nothing stale is left behind.
        Assert.IsTrue(await Wait.PollAsync(() =>
        {
            try
            {
                return a.Allocate("uid-4") == "127.1.4.2";
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10)));
    }

    public TestContext TestContext { get; set; } = null!;

    private PodIpClaims Claims() => PodIpClaims.TryOpen(Path.Combine(_dir, "claims"), out var why) ?? throw new AssertFailedException(why ?? "claims unavailable");

    [TestMethod]
    [DataRow("10.0.0")]
    [DataRow("127.1.0.0/33")]
    [DataRow("fd00::/64")]
    public void Constructor_RejectsBadCidrs(string cidr) =>
        Assert.ThrowsExactly<FormatException>(() => new PodIpAllocator(cidr, StatePath));
}
