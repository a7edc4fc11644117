using Kube.ApiServer.Validation;

namespace Kube.ApiServer.Tests.Crd;

/// <summary>Schema patterns mean what Go's RE2 makes of them.</summary>
[TestClass]
public sealed class GoRegexTests
{
    [TestMethod]
    [DataRow(@"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$", "* * * * */5", true)]
    [DataRow(@"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$", "* * * *", false)]
    [DataRow(@"^\d+$", "١٢٣", false)] // \d is ASCII in RE2, Unicode in .NET
    [DataRow(@"^\w+$", "héllo", false)]
    [DataRow(@"^[a-z]+$", "abc\n", false)] // $ is the end of text in RE2, not before a final newline
    [DataRow(@"(?m)^b$", "a\nb\nc", true)]
    [DataRow(@"^(?P<word>[a-z]+)$", "abc", true)]
    [DataRow(@"^[[:alpha:]]+[[:digit:]]$", "ab1", true)]
    [DataRow(@"^[]a]+$", "]a", true)]
    [DataRow(@"(?i)^ABC$", "abc", true)]
    [DataRow(@"\pL", "é", true)]
    public void Pattern_MatchesAsRe2(string pattern, string input, bool expected)
    {
        var regex = GoRegex.TryCompile(pattern, out var error);
        Assert.IsNotNull(regex, error);
        Assert.AreEqual(expected, regex.IsMatch(input));
    }

    [TestMethod]
    [DataRow(@"^(?=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`")]
    [DataRow(@"^(?<!a)b", "error parsing regexp: invalid or unsupported Perl syntax: `(?<!`")]
    [DataRow(@"(a)\1", "error parsing regexp: invalid escape sequence: `\\1`")]
    [DataRow(@"a++", "error parsing regexp: invalid nested repetition operator: `++`")]
    [DataRow(@"[a-", "error parsing regexp: missing closing ]: `[a-`")]
    public void Pattern_RE2Refuses_IsRefused(string pattern, string message)
    {
        Assert.IsNull(GoRegex.TryCompile(pattern, out var error));
        Assert.AreEqual(message, error);
    }
}
