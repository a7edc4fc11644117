using Kube.Controllers.BuiltIn.Job;

namespace Kube.Controllers.Tests.BuiltIn;

[TestClass]
public sealed class JobBackoffTests
{
    [TestMethod]
    [DataRow(0, 0)]
    [DataRow(1, 10)]
    [DataRow(2, 20)]
    [DataRow(3, 40)]
    [DataRow(6, 320)]
    [DataRow(7, 600)]
    [DataRow(40, 600)]
    public void Delay_DoublesFrom10Seconds_CappedAt10Minutes(int failures, int seconds) =>
        Assert.AreEqual(TimeSpan.FromSeconds(seconds), JobBackoff.Delay(failures, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10)));
}
