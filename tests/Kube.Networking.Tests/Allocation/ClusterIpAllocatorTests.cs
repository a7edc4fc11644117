using Kube.Networking.Allocation;

namespace Kube.Networking.Tests.Allocation;

[TestClass]
public sealed class ClusterIpAllocatorTests
{
    [TestMethod]
    public void AllocateNext_SkipsTheReservedFirstIp_AndHandsOutDistinctIps()
    {
        var a = new ClusterIpAllocator("127.10.0.0/16");

        var ips = Enumerable.Range(0, 3).Select(_ => a.AllocateNext()).ToList();

        Assert.AreEqual("127.10.0.1", a.ReservedIp);
        CollectionAssert.AreEqual(new[] { "127.10.0.2", "127.10.0.3", "127.10.0.4" }, ips);
        Assert.AreEqual(3, a.Used);
        Assert.AreEqual(65534, a.Capacity);
    }

    [TestMethod]
    public void AllocateNext_ReturnsNull_WhenExhausted_AndReusesReleasedIps()
    {
        // /29: .0 network, .7 broadcast, .1 reserved: .2-.6 are allocatable.
        var a = new ClusterIpAllocator("127.10.5.0/29");
        var ips = Enumerable.Range(0, 5).Select(_ => a.AllocateNext()).ToList();

        CollectionAssert.AreEqual(new[] { "127.10.5.2", "127.10.5.3", "127.10.5.4", "127.10.5.5", "127.10.5.6" }, ips);
        Assert.IsNull(a.AllocateNext());

        a.Release("127.10.5.4");
        Assert.AreEqual("127.10.5.4", a.AllocateNext());
    }

    [TestMethod]
    [DataRow("127.10.0.9", AllocationResult.Allocated)]
    [DataRow("127.11.0.9", AllocationResult.OutOfRange)]
    [DataRow("127.10.0.0", AllocationResult.OutOfRange)]
    [DataRow("127.10.255.255", AllocationResult.OutOfRange)]
    [DataRow("127.10.0.1", AllocationResult.Reserved)]
    [DataRow("not-an-ip", AllocationResult.Invalid)]
    [DataRow("fd00::1", AllocationResult.Invalid)]
    public void Allocate_Specific(string ip, AllocationResult expected)
    {
        var a = new ClusterIpAllocator("127.10.0.0/16");

        Assert.AreEqual(expected, a.Allocate(ip));
    }

    [TestMethod]
    public void Allocate_Specific_RejectsATakenIp_AndAllowsTheReservedOneOnRequest()
    {
        var a = new ClusterIpAllocator("127.10.0.0/16");

        Assert.AreEqual(AllocationResult.Allocated, a.Allocate("127.10.3.3"));
        Assert.AreEqual(AllocationResult.AlreadyAllocated, a.Allocate("127.10.3.3"));
        Assert.AreEqual(AllocationResult.Allocated, a.Allocate(a.ReservedIp, allowReserved: true));
        Assert.AreEqual(AllocationResult.AlreadyAllocated, a.Allocate(a.ReservedIp, allowReserved: true));
    }

    [TestMethod]
    public void Repair_MarksShownIpsUsed_AndFreesOnlyOldLeaks()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var a = new ClusterIpAllocator("127.10.0.0/16", clock);
        var leaked = a.AllocateNext()!;
        clock.Advance(TimeSpan.FromMinutes(2));
        var fresh = a.AllocateNext()!;

        var freed = a.Repair(["127.10.0.50"], TimeSpan.FromMinutes(1));

        Assert.AreEqual(1, freed);
        Assert.IsFalse(a.IsAllocated(leaked), "an allocation older than the grace period that no Service shows is a leak");
        Assert.IsTrue(a.IsAllocated(fresh), "a fresh allocation may belong to a create still in flight");
        Assert.IsTrue(a.IsAllocated("127.10.0.50"));
        Assert.AreEqual(AllocationResult.AlreadyAllocated, a.Allocate("127.10.0.50"));
    }

    [TestMethod]
    public void NodePorts_AllocateInRange_RejectTakenAndOutOfRange()
    {
        var p = new NodePortAllocator(30000, 30002);

        Assert.AreEqual(30000, p.AllocateNext());
        Assert.AreEqual(AllocationResult.Allocated, p.Allocate(30002));
        Assert.AreEqual(AllocationResult.AlreadyAllocated, p.Allocate(30002));
        Assert.AreEqual(AllocationResult.OutOfRange, p.Allocate(80));
        Assert.AreEqual(30001, p.AllocateNext());
        Assert.IsNull(p.AllocateNext());
    }
}
