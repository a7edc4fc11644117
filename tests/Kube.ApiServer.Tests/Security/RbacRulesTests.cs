using k8s.Models;
using Kube.ApiServer.Authorization;
using Kube.Core.Admission;

namespace Kube.ApiServer.Tests.Security;

/// <summary>Upstream's RBAC rule matching.</summary>
[TestClass]
public sealed class RbacRulesTests
{
    private static readonly UserInfo U = new("u", []);

    private static AuthorizationAttributes A(string verb, string group, string resource, string? sub = null, string? name = null) =>
        new(U, verb) { ApiGroup = group, Resource = resource, Subresource = sub, Name = name, Namespace = "ns" };

    [TestMethod]
    public void Matching_FollowsUpstream()
    {
        var rule = new V1PolicyRule { ApiGroups = [""], Resources = ["pods", "pods/log"], Verbs = ["get"] };
        Assert.IsTrue(RbacRules.Allows(rule, A("get", "", "pods")));
        Assert.IsTrue(RbacRules.Allows(rule, A("get", "", "pods", "log")));
        Assert.IsFalse(RbacRules.Allows(rule, A("get", "", "pods", "exec")), "subresources are separate");
        Assert.IsFalse(RbacRules.Allows(rule, A("list", "", "pods")));
        Assert.IsFalse(RbacRules.Allows(rule, A("get", "apps", "pods")));

        var scale = new V1PolicyRule { ApiGroups = ["*"], Resources = ["*/scale"], Verbs = ["*"] };
        Assert.IsTrue(RbacRules.Allows(scale, A("update", "apps", "deployments", "scale")));
        Assert.IsFalse(RbacRules.Allows(scale, A("update", "apps", "deployments")));

        var named = new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["get", "list"], ResourceNames = ["cm1"] };
        Assert.IsTrue(RbacRules.Allows(named, A("get", "", "configmaps", name: "cm1")));
        Assert.IsFalse(RbacRules.Allows(named, A("get", "", "configmaps", name: "cm2")));
        Assert.IsFalse(RbacRules.Allows(named, A("list", "", "configmaps")), "resourceNames never match a request without a name");

        var urls = new V1PolicyRule { NonResourceURLs = ["/healthz", "/apis/*"], Verbs = ["get"] };
        Assert.IsTrue(RbacRules.Allows(urls, new AuthorizationAttributes(U, "get") { Path = "/healthz" }));
        Assert.IsTrue(RbacRules.Allows(urls, new AuthorizationAttributes(U, "get") { Path = "/apis/apps/v1" }));
        Assert.IsFalse(RbacRules.Allows(urls, new AuthorizationAttributes(U, "get") { Path = "/api/v1" }));
        Assert.IsFalse(RbacRules.Allows(urls, new AuthorizationAttributes(U, "post") { Path = "/healthz" }));
        Assert.IsFalse(RbacRules.Allows(urls, A("get", "", "pods")), "a non-resource rule grants no resources");
    }

    [TestMethod]
    public void ServiceAccountSubjects_UseTheBindingNamespaceByDefault()
    {
        var sa = new UserInfo("system:serviceaccount:team:builder", ["system:serviceaccounts", "system:serviceaccounts:team"]);
        Assert.IsTrue(RbacRules.SubjectMatches(new Rbacv1Subject { Kind = "ServiceAccount", Name = "builder" }, sa, "team"));
        Assert.IsFalse(RbacRules.SubjectMatches(new Rbacv1Subject { Kind = "ServiceAccount", Name = "builder" }, sa, "other"));
        Assert.IsTrue(RbacRules.SubjectMatches(new Rbacv1Subject { Kind = "ServiceAccount", Name = "builder", NamespaceProperty = "team" }, sa, "other"));
        Assert.IsTrue(RbacRules.SubjectMatches(new Rbacv1Subject { Kind = "Group", Name = "system:serviceaccounts:team" }, sa, null));
    }
}
