using k8s.Models;
using Kube.Core.Selectors;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.Selectors;

[TestClass]
public sealed class LabelSelectorTests
{
    private static Dictionary<string, string> Labels(string spec) =>
        spec.Length == 0 ? [] : spec.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);

    [TestMethod]
    [DataRow("", "", true)]
    [DataRow("a=b", "a=b", true)]
    [DataRow("a=b", "a=c", false)]
    [DataRow("a=b", "", false)]
    [DataRow("a==b", "a=b", true)]
    [DataRow("a!=b", "a=c", true)]
    [DataRow("a!=b", "", true)]
    [DataRow("a!=b", "a=b", false)]
    [DataRow("e in (f,g)", "e=g", true)]
    [DataRow("e in (f,g)", "e=h", false)]
    [DataRow("e in (f,g)", "", false)]
    [DataRow("e notin (f,g)", "e=h", true)]
    [DataRow("e notin (f,g)", "", true)]
    [DataRow("e notin (f,g)", "e=f", false)]
    [DataRow("h", "h=x", true)]
    [DataRow("h", "i=x", false)]
    [DataRow("!h", "i=x", true)]
    [DataRow("!h", "h=x", false)]
    [DataRow("n>5", "n=6", true)]
    [DataRow("n>5", "n=5", false)]
    [DataRow("n>5", "n=x", false)]
    [DataRow("n<5", "n=-1", true)]
    [DataRow("a=b,c!=d,e in (f,g),!h", "a=b,e=f", true)]
    [DataRow("a=b,c!=d,e in (f,g),!h", "a=b,c=d,e=f", false)]
    [DataRow("a=b,c!=d,e in (f,g),!h", "a=b,e=f,h=1", false)]
    [DataRow("  a = b ,  e  in  ( f , g )  ", "a=b,e=f", true)]
    [DataRow("app.kubernetes.io/name=web", "app.kubernetes.io/name=web", true)]
    [DataRow("a=", "a=", true)]
    [DataRow("a=", "a=x", false)]
    public void Parse_ThenMatches(string selector, string labels, bool expected)
    {
        Assert.AreEqual(expected, LabelSelector.Parse(selector).Matches(Labels(labels)), $"{selector} vs {labels}");
    }

    [TestMethod]
    [DataRow("a=b=c", "'='")]
    [DataRow("a b", "'b'")]
    [DataRow("a in f", "'('")]
    [DataRow("a in (f", "missing ')'")]
    [DataRow("a in ()", "must not be empty")]
    [DataRow("a=b,", "after ','")]
    [DataRow(",a=b", "expected a label key")]
    [DataRow("!a=b", "'='")]
    [DataRow("a>x", "'x'")]
    [DataRow("-a=b", "\"-a\"")]
    [DataRow("a=b c", "'c'")]
    [DataRow("a=-b", "\"-b\"")]
    [DataRow("Bad_Prefix/x=y", "prefix")]
    [DataRow("a isin (b)", "'isin'")]
    [DataRow("a in (b c)", "'c'")]
    public void Parse_RejectsBadInput_NamingTheToken(string selector, string expectedFragment)
    {
        var ex = Assert.ThrowsExactly<FormatException>(() => LabelSelector.Parse(selector));
        StringAssert.Contains(ex.Message, expectedFragment);
        StringAssert.Contains(ex.Message, "Invalid label selector");
        Assert.IsFalse(LabelSelector.TryParse(selector, out _));
    }

    [TestMethod]
    public void Parse_LongValue_IsRejected()
    {
        var ex = Assert.ThrowsExactly<FormatException>(() => LabelSelector.Parse("a=" + new string('x', 64)));
        StringAssert.Contains(ex.Message, "63");
    }

    [TestMethod]
    public void ToString_IsCanonical_AndRoundTrips()
    {
        var s = LabelSelector.Parse("z=1, a notin (c,b,c), !m, k");
        Assert.AreEqual("a notin (b,c),k,!m,z=1", s.ToString());
        Assert.AreEqual(s, LabelSelector.Parse(s.ToString()));
        Assert.AreEqual(4, s.Requirements.Count);
    }

    [TestMethod]
    public void FromLabelSelector_NullSelectsNothing_EmptySelectsEverything()
    {
        Assert.IsFalse(LabelSelector.FromLabelSelector(null).Matches(Labels("a=b")));
        Assert.IsTrue(LabelSelector.FromLabelSelector(new V1LabelSelector()).Matches(Labels("a=b")));
        Assert.IsTrue(LabelSelector.FromLabelSelector(new V1LabelSelector()).IsEverything);
    }

    [TestMethod]
    public void FromLabelSelector_CombinesMatchLabelsAndExpressions()
    {
        var sel = LabelSelector.FromLabelSelector(new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string> { ["app"] = "web" },
            MatchExpressions =
            [
                new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "In", Values = ["a", "b"] },
                new V1LabelSelectorRequirement { Key = "canary", OperatorProperty = "DoesNotExist" },
            ],
        });
        Assert.IsTrue(sel.Matches(Labels("app=web,tier=b")));
        Assert.IsFalse(sel.Matches(Labels("app=web,tier=c")));
        Assert.IsFalse(sel.Matches(Labels("app=web,tier=a,canary=1")));
        Assert.IsFalse(sel.Matches(Labels("tier=a")));
    }

    [TestMethod]
    public void FromLabelSelector_RejectsUnknownOperator_AndMissingValues()
    {
        var bad = new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "a", OperatorProperty = "Like", Values = ["x"] }] };
        StringAssert.Contains(Assert.ThrowsExactly<FormatException>(() => LabelSelector.FromLabelSelector(bad)).Message, "Like");
        var empty = new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "a", OperatorProperty = "In" }] };
        Assert.ThrowsExactly<FormatException>(() => LabelSelector.FromLabelSelector(empty));
    }

    [TestMethod]
    public void FromSet_RequiresEveryLabel()
    {
        var sel = LabelSelector.FromSet(Labels("a=1,b=2"));
        Assert.IsTrue(sel.Matches(Labels("a=1,b=2,c=3")));
        Assert.IsFalse(sel.Matches(Labels("a=1")));
        Assert.AreEqual("a=1,b=2", sel.ToString());
    }
}
