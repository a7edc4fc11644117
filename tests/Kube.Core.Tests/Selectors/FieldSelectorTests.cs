using k8s.Models;
using Kube.Core.Selectors;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.Selectors;

[TestClass]
public sealed class FieldSelectorTests
{
    [TestMethod]
    [DataRow("spec.nodeName=node-1", "spec.nodeName", FieldSelectorOperator.Equals, "node-1")]
    [DataRow("spec.nodeName==node-1", "spec.nodeName", FieldSelectorOperator.Equals, "node-1")]
    [DataRow("status.phase!=Running", "status.phase", FieldSelectorOperator.NotEquals, "Running")]
    [DataRow("spec.nodeName=", "spec.nodeName", FieldSelectorOperator.Equals, "")]
    [DataRow(@"metadata.name=a\,b\=c\\d", "metadata.name", FieldSelectorOperator.Equals, @"a,b=c\d")]
    public void Parse_ReadsOneRequirement(string text, string field, FieldSelectorOperator op, string value)
    {
        var sel = FieldSelector.Parse(text);
        Assert.AreEqual(1, sel.Requirements.Count);
        Assert.AreEqual(new FieldRequirement(field, op, value), sel.Requirements[0]);
        Assert.AreEqual(sel.Requirements[0], FieldSelector.Parse(sel.ToString()).Requirements[0], "round trip");
    }

    [TestMethod]
    public void Parse_SeveralRequirements_AreAnded()
    {
        var sel = FieldSelector.Parse("metadata.namespace=default,status.phase!=Failed");
        var fields = new Dictionary<string, string> { ["metadata.namespace"] = "default", ["status.phase"] = "Running" };
        Assert.IsTrue(sel.Matches(fields));
        fields["status.phase"] = "Failed";
        Assert.IsFalse(sel.Matches(fields));
        Assert.AreEqual("default", sel.RequiresExactMatch("metadata.namespace"));
        Assert.IsNull(sel.RequiresExactMatch("status.phase"));
    }

    [TestMethod]
    [DataRow("spec.nodeName", "no operator")]
    [DataRow("=x", "expected a field name")]
    [DataRow("a=b,", "after ','")]
    [DataRow("a=b=c", "'='")]
    [DataRow("a!b", "'!'")]
    [DataRow("sp ec=x", "'sp ec'")]
    [DataRow(@"a=b\x", @"'\x'")]
    [DataRow("a=b!=c", "'!='")]
    public void Parse_RejectsBadInput_NamingTheToken(string text, string fragment)
    {
        var ex = Assert.ThrowsExactly<FormatException>(() => FieldSelector.Parse(text));
        StringAssert.Contains(ex.Message, fragment);
        StringAssert.Contains(ex.Message, "Invalid field selector");
    }

    [TestMethod]
    public void Matches_PodFields()
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "ns" },
            Spec = new V1PodSpec { NodeName = "n1" },
            Status = new V1PodStatus { Phase = "Pending" },
        };
        Assert.IsTrue(FieldSelector.Parse("spec.nodeName=n1,metadata.name=p").Matches(pod));
        Assert.IsFalse(FieldSelector.Parse("spec.nodeName=n2").Matches(pod));
        Assert.IsTrue(FieldSelector.Parse("status.phase!=Running,metadata.namespace=ns").Matches(pod));
        Assert.IsTrue(FieldSelector.Parse("").Matches(pod));
        pod.Spec.NodeName = null;
        Assert.IsTrue(FieldSelector.Parse("spec.nodeName=").Matches(pod), "unscheduled pods match an empty nodeName");
    }
}
