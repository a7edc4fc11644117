using k8s.Models;
using Kube.Controllers.Internal;

namespace Kube.Controllers.Tests.BuiltIn;

[TestClass]
public sealed class SelectorsTests
{
    [TestMethod]
    [DataRow("app=web", "app=web,tier=fe", true)]
    [DataRow("app=web", "app=db", false)]
    [DataRow("app=web", "", false)]
    public void Matches_MatchLabels(string selector, string labels, bool expected)
    {
        var s = new V1LabelSelector { MatchLabels = Parse(selector) };
        Assert.AreEqual(expected, Selectors.Matches(s, Parse(labels)));
    }

    [TestMethod]
    [DataRow("In", "a,b", "env=a", true)]
    [DataRow("In", "a,b", "env=c", false)]
    [DataRow("NotIn", "a,b", "env=c", true)]
    [DataRow("NotIn", "a,b", "", true)]
    [DataRow("Exists", "", "env=x", true)]
    [DataRow("Exists", "", "", false)]
    [DataRow("DoesNotExist", "", "", true)]
    public void Matches_Expressions(string op, string values, string labels, bool expected)
    {
        var s = new V1LabelSelector
        {
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "env", OperatorProperty = op, Values = values.Length == 0 ? null : values.Split(',') }],
        };
        Assert.AreEqual(expected, Selectors.Matches(s, Parse(labels)));
    }

    [TestMethod]
    public void Matches_NullSelectsNothing() => Assert.IsFalse(Selectors.Matches(null, Parse("a=b")));

    private static Dictionary<string, string> Parse(string s) =>
        s.Length == 0 ? [] : s.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
}
