using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Security;

namespace Kube.ApiServer.Tests.Security;

/// <summary>Token authentication, RBAC, reviews and impersonation over HTTP (security on, no TLS).</summary>
[TestClass]
public sealed class RbacHttpTests
{
    private static TestCluster _cluster = null!;
    private static string _tokenFile = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        _tokenFile = Path.Combine(Path.GetTempPath(), "kube-rbac-tokens-" + Guid.NewGuid().ToString("n") + ".csv");
        await File.WriteAllTextAsync(_tokenFile, """
            # token,user,uid,"groups"
            admin-token,root,1,"system:masters"
            alice-token,alice,2
            bob-token,bob,3,"devs,qa"
            """);
        _cluster = await TestCluster.StartAsync(o => o.Security = new ApiServerSecurityOptions { TokenAuthFile = _tokenFile });
        var c = _cluster.Client;
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = "other" } });
        await c.CreateAsync(new V1Pod
        {
            Metadata = new() { Name = "p", NamespaceProperty = "default" },
            Spec = new() { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        });
        await c.CreateAsync(new V1Role
        {
            Metadata = new() { Name = "pod-reader", NamespaceProperty = "default" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list", "watch"] }],
        });
        await c.CreateAsync(new V1RoleBinding
        {
            Metadata = new() { Name = "alice-reads-pods", NamespaceProperty = "default" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "pod-reader" },
            Subjects = [new Rbacv1Subject { Kind = "User", ApiGroup = "rbac.authorization.k8s.io", Name = "alice" }],
        });
    }

    [ClassCleanup]
    public static async Task CleanupAsync()
    {
        await _cluster.DisposeAsync();
        File.Delete(_tokenFile);
    }

    private static async Task<(int Code, JsonNode? Body)> SendAsync(string? token, HttpMethod method, string path, string? body = null,
        Action<HttpRequestMessage>? configure = null)
    {
        using var req = new HttpRequestMessage(method, path);
        if (token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, "application/json");
        configure?.Invoke(req);
        using var resp = await _cluster.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        if (path.Contains("watch=", StringComparison.Ordinal)) return ((int)resp.StatusCode, null);
        var text = await resp.Content.ReadAsStringAsync();
        return ((int)resp.StatusCode, text.StartsWith('{') ? JsonNode.Parse(text) : null);
    }

    [TestMethod]
    public async Task NoCredentials_Is401_ButHealthAndVersionAreOpen()
    {
        var (code, body) = await SendAsync(null, HttpMethod.Get, "/api/v1/namespaces/default/pods");
        Assert.AreEqual(401, code);
        Assert.AreEqual("Unauthorized", body?["reason"]?.GetValue<string>());
        Assert.AreEqual(401, (await SendAsync("wrong-token", HttpMethod.Get, "/api/v1/namespaces/default/pods")).Code);
        Assert.AreEqual(401, (await SendAsync(null, HttpMethod.Get, "/api")).Code);
        Assert.AreEqual(200, (await SendAsync(null, HttpMethod.Get, "/healthz")).Code);
        Assert.AreEqual(200, (await SendAsync(null, HttpMethod.Get, "/version")).Code);
    }

    [TestMethod]
    public async Task PodReader_CanGetListWatch_ButDeleteIs403WithUpstreamMessage()
    {
        Assert.AreEqual(200, (await SendAsync("alice-token", HttpMethod.Get, "/api/v1/namespaces/default/pods")).Code);
        Assert.AreEqual(200, (await SendAsync("alice-token", HttpMethod.Get, "/api/v1/namespaces/default/pods/p")).Code);
        Assert.AreEqual(200, (await SendAsync("alice-token", HttpMethod.Get, "/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1")).Code);

        var (code, body) = await SendAsync("alice-token", HttpMethod.Delete, "/api/v1/namespaces/default/pods/p");
        Assert.AreEqual(403, code);
        Assert.AreEqual("Forbidden", body?["reason"]?.GetValue<string>());
        Assert.AreEqual("pods \"p\" is forbidden: User \"alice\" cannot delete resource \"pods\" in API group \"\" in the namespace \"default\"",
            body?["message"]?.GetValue<string>());

        (code, body) = await SendAsync("alice-token", HttpMethod.Get, "/api/v1/namespaces/other/pods");
        Assert.AreEqual(403, code);
        Assert.AreEqual("pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"other\"",
            body?["message"]?.GetValue<string>());
        Assert.AreEqual(403, (await SendAsync("alice-token", HttpMethod.Get, "/api/v1/namespaces/default/secrets")).Code);
        Assert.AreEqual(200, (await SendAsync("admin-token", HttpMethod.Get, "/api/v1/namespaces/default/secrets")).Code, "system:masters is allowed everything");
    }

    [TestMethod]
    public async Task BootstrapDiscoveryRole_LetsAuthenticatedUsersReadDiscovery()
    {
        Assert.AreEqual(200, (await SendAsync("bob-token", HttpMethod.Get, "/api")).Code);
        Assert.AreEqual(200, (await SendAsync("bob-token", HttpMethod.Get, "/apis")).Code);
        Assert.AreEqual(200, (await SendAsync("bob-token", HttpMethod.Get, "/api/v1")).Code);
        var cr = await _cluster.Client.GetAsync<V1ClusterRole>("system:kube-scheduler");
        Assert.IsTrue(cr.Rules.Any(r => r.Resources?.Contains("pods/binding") == true));
        Assert.AreEqual("system:masters", (await _cluster.Client.GetAsync<V1ClusterRoleBinding>("cluster-admin")).Subjects.Single().Name);
    }

    private static string Ssar(string verb, string resource, string ns) =>
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{\"verb\":\"" + verb
        + "\",\"resource\":\"" + resource + "\",\"namespace\":\"" + ns + "\"}}}";

    [TestMethod]
    public async Task CanI_AnswersFromRbac()
    {
        var (code, body) = await SendAsync("alice-token", HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", Ssar("list", "pods", "default"));
        Assert.AreEqual(201, code);
        Assert.IsTrue(body!["status"]!["allowed"]!.GetValue<bool>());
        (_, body) = await SendAsync("alice-token", HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", Ssar("delete", "pods", "default"));
        Assert.IsFalse(body!["status"]!["allowed"]!.GetValue<bool>());

        // SubjectAccessReview: asked by an admin about alice; refused to alice herself
        const string sar = """{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"alice","resourceAttributes":{"verb":"watch","resource":"pods","namespace":"default"}}}""";
        (code, body) = await SendAsync("admin-token", HttpMethod.Post, "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar);
        Assert.AreEqual(201, code);
        Assert.IsTrue(body!["status"]!["allowed"]!.GetValue<bool>());
        Assert.AreEqual(403, (await SendAsync("alice-token", HttpMethod.Post, "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)).Code);
    }

    [TestMethod]
    public async Task SelfSubjectReview_AndTokenReview_ReportTheIdentity()
    {
        var (code, body) = await SendAsync("bob-token", HttpMethod.Post, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""");
        Assert.AreEqual(201, code);
        Assert.AreEqual("bob", body!["status"]!["userInfo"]!["username"]!.GetValue<string>());
        CollectionAssert.AreEqual(new[] { "devs", "qa", "system:authenticated" },
            body["status"]!["userInfo"]!["groups"]!.AsArray().Select(g => g!.GetValue<string>()).ToArray());

        (code, body) = await SendAsync("admin-token", HttpMethod.Post, "/apis/authentication.k8s.io/v1/tokenreviews",
            """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"alice-token"}}""");
        Assert.AreEqual(201, code);
        Assert.IsTrue(body!["status"]!["authenticated"]!.GetValue<bool>());
        Assert.AreEqual("alice", body["status"]!["user"]!["username"]!.GetValue<string>());
        (_, body) = await SendAsync("admin-token", HttpMethod.Post, "/apis/authentication.k8s.io/v1/tokenreviews",
            """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"nope"}}""");
        Assert.IsFalse(body!["status"]!["authenticated"]!.GetValue<bool>());
    }

    [TestMethod]
    public async Task Impersonation_IsAuthorizedAndActsAsTheTarget()
    {
        // the admin impersonates alice: alice's permissions apply
        var (code, body) = await SendAsync("admin-token", HttpMethod.Delete, "/api/v1/namespaces/default/pods/p",
            configure: r => r.Headers.Add("Impersonate-User", "alice"));
        Assert.AreEqual(403, code);
        StringAssert.Contains(body?["message"]?.GetValue<string>(), "User \"alice\" cannot delete");
        Assert.AreEqual(200, (await SendAsync("admin-token", HttpMethod.Get, "/api/v1/namespaces/default/pods",
            configure: r => r.Headers.Add("Impersonate-User", "alice"))).Code);

        // alice may not impersonate
        (code, body) = await SendAsync("alice-token", HttpMethod.Get, "/api/v1/namespaces/default/pods", configure: r => r.Headers.Add("Impersonate-User", "root"));
        Assert.AreEqual(403, code);
        Assert.AreEqual("users \"root\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
            body?["message"]?.GetValue<string>());

        // impersonating a group grants that group's rights
        (code, _) = await SendAsync("admin-token", HttpMethod.Get, "/api/v1/namespaces/default/secrets", configure: r =>
        {
            r.Headers.Add("Impersonate-User", "carol");
            r.Headers.Add("Impersonate-Group", "system:masters");
        });
        Assert.AreEqual(200, code);
    }

    [TestMethod]
    public async Task AggregatedClusterRole_GrantsTheRulesOfMatchingRoles()
    {
        var c = _cluster.Client;
        await c.CreateAsync(new V1ClusterRole
        {
            Metadata = new() { Name = "monitoring" },
            AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["aggregate-to-monitoring"] = "true" } }] },
        });
        await c.CreateAsync(new V1ClusterRoleBinding
        {
            Metadata = new() { Name = "bob-monitoring" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "monitoring" },
            Subjects = [new Rbacv1Subject { Kind = "Group", ApiGroup = "rbac.authorization.k8s.io", Name = "devs" }],
        });
        Assert.AreEqual(403, (await SendAsync("bob-token", HttpMethod.Get, "/api/v1/namespaces/other/configmaps")).Code);
        await c.CreateAsync(new V1ClusterRole
        {
            Metadata = new() { Name = "monitoring-configmaps", Labels = new Dictionary<string, string> { ["aggregate-to-monitoring"] = "true" } },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["list"] }],
        });
        await TestCluster.WaitForAsync(async () => (await SendAsync("bob-token", HttpMethod.Get, "/api/v1/namespaces/other/configmaps")).Code == 200,
            what: "the aggregated rule to apply");
        Assert.AreEqual(403, (await SendAsync("bob-token", HttpMethod.Get, "/api/v1/namespaces/other/pods")).Code);
    }
}
