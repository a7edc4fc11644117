using Kube.Controllers.BuiltIn.ReplicaSet;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Controllers.Tests.BuiltIn;

[TestClass]
public sealed class ReplicaSetExpectationsTests
{
    [TestMethod]
    public void Pending_UntilTheCacheShowsCreationsAndDeletions()
    {
        var time = new FakeTimeProvider();
        var e = new ReplicaSetExpectations(time);
        Assert.IsNull(e.Pending("ns/rs", _ => false, _ => false));

        e.ExpectCreated("ns/rs", "rs-abcde");
        e.ExpectDeleted("ns/rs", "uid-1");
        Assert.IsNotNull(e.Pending("ns/rs", _ => false, _ => false));
        Assert.IsNotNull(e.Pending("ns/rs", name => name == "rs-abcde", _ => false), "deletion still unobserved");
        Assert.IsNull(e.Pending("ns/rs", _ => false, uid => uid == "uid-1"), "creation was observed before, deletion now");
    }

    [TestMethod]
    public void Pending_ExpiresAfterTimeout()
    {
        var time = new FakeTimeProvider();
        var e = new ReplicaSetExpectations(time);
        e.ExpectCreated("k", "p");
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.AreEqual(TimeSpan.FromMinutes(1), e.Pending("k", _ => false, _ => false));
        time.Advance(ReplicaSetExpectations.Timeout);
        Assert.IsNull(e.Pending("k", _ => false, _ => false));
    }
}
