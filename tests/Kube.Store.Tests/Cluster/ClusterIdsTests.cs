using Kube.Store.Cluster;

namespace Kube.Store.Tests.Cluster;

[TestClass]
public sealed class ClusterIdsTests
{
    /// <summary>The ids etcd 3.4.23 reported (endpoint status -w json) for --initial-cluster a=http://127.0.0.1:23802 --initial-cluster-token tok.</summary>
    [TestMethod]
    public void MemberAndClusterIds_AreEtcds()
    {
        var member = ClusterIds.MemberId(["http://127.0.0.1:23802"], "tok");
        Assert.AreEqual(2825987797056917605UL, member);
        Assert.AreEqual(6311109783379562148UL, ClusterIds.ClusterId([member]));
    }

    [TestMethod]
    public void MemberId_SortsPeerUrls_AndChangesWithTheAddTime()
    {
        Assert.AreEqual(ClusterIds.MemberId(["http://b:2", "http://a:1"], "t"), ClusterIds.MemberId(["http://a:1", "http://b:2"], "t"));
        Assert.AreNotEqual(ClusterIds.MemberId(["http://a:1"], "t"), ClusterIds.MemberId(["http://a:1"], "t", DateTimeOffset.FromUnixTimeSeconds(1)));
    }

    [TestMethod]
    public void ParseInitialCluster_GroupsRepeatedNames_AndNamesTheFlagOnBadInput()
    {
        var members = ClusterIds.ParseInitialCluster("m1=http://127.0.0.1:1,m2=http://127.0.0.1:2,m1=http://127.0.0.1:3/");
        Assert.HasCount(2, members);
        CollectionAssert.AreEqual(new[] { "http://127.0.0.1:1", "http://127.0.0.1:3" }, members[0].PeerUrls.ToArray());
        var error = Assert.ThrowsExactly<ArgumentException>(() => ClusterIds.ParseInitialCluster("m1=127.0.0.1:1"));
        StringAssert.Contains(error.Message, "--initial-cluster");
    }
}
