using k8s.Models;
using Kube.Controllers.BuiltIn.Deployment;

namespace Kube.Controllers.Tests.BuiltIn;

[TestClass]
public sealed class PodTemplateHashTests
{
    private static V1PodTemplateSpec Template(string image, params (string K, string V)[] labels) => new()
    {
        Metadata = new V1ObjectMeta { Labels = labels.ToDictionary(l => l.K, l => l.V) },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = image }] },
    };

    [TestMethod]
    public void Compute_IsStableAndUsesSafeAlphabet()
    {
        var a = PodTemplateHash.Compute(Template("nginx:1", ("app", "web")), null);
        var b = PodTemplateHash.Compute(Template("nginx:1", ("app", "web")), null);
        Assert.AreEqual(a, b);
        Assert.IsTrue(a.Length is > 0 and <= 10, a);
        Assert.IsTrue(a.All(ch => "bcdfghjklmnpqrstvwxz2456789".Contains(ch)), a);
    }

    [TestMethod]
    public void Compute_ChangesWithTemplateAndCollisionCount()
    {
        var a = PodTemplateHash.Compute(Template("nginx:1", ("app", "web")), null);
        Assert.AreNotEqual(a, PodTemplateHash.Compute(Template("nginx:2", ("app", "web")), null));
        Assert.AreNotEqual(a, PodTemplateHash.Compute(Template("nginx:1", ("app", "web")), 1));
    }

    [TestMethod]
    public void Compute_IgnoresLabelOrderAndTheHashLabel()
    {
        var a = PodTemplateHash.Compute(Template("nginx:1", ("app", "web"), ("tier", "fe")), null);
        var b = PodTemplateHash.Compute(Template("nginx:1", ("tier", "fe"), ("app", "web"), (PodTemplateHash.Label, "xyz")), null);
        Assert.AreEqual(a, b);
        Assert.IsTrue(PodTemplateHash.EqualIgnoringHash(Template("x", ("app", "a")), Template("x", ("app", "a"), (PodTemplateHash.Label, "h"))));
        Assert.IsFalse(PodTemplateHash.EqualIgnoringHash(Template("x", ("app", "a")), Template("y", ("app", "a"))));
    }
}
