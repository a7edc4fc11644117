using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Security;

namespace Kube.ApiServer.Tests.Security;

/// <summary>TokenRequest (kubectl create token), ServiceAccount JWT authentication and RBAC for service accounts.</summary>
[TestClass]
public sealed class ServiceAccountTokenTests
{
    private static TestCluster _cluster = null!;
    private static string _tokenFile = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        _tokenFile = Path.Combine(Path.GetTempPath(), "kube-sa-tokens-" + Guid.NewGuid().ToString("n") + ".csv");
        await File.WriteAllTextAsync(_tokenFile, "admin-token,root,1,\"system:masters\"\n");
        _cluster = await TestCluster.StartAsync(o => o.Security = new ApiServerSecurityOptions
        {
            TokenAuthFile = _tokenFile,
            ServiceAccountIssuer = new ServiceAccountTokenIssuer(ECDsa.Create(ECCurve.NamedCurves.nistP256)),
        });
        await _cluster.Client.CreateAsync(new V1ServiceAccount { Metadata = new() { Name = "builder", NamespaceProperty = "default" } });
    }

    [ClassCleanup]
    public static async Task CleanupAsync()
    {
        await _cluster.DisposeAsync();
        File.Delete(_tokenFile);
    }

    private static async Task<(int Code, JsonNode? Body)> SendAsync(string token, HttpMethod method, string path, string? body = null)
    {
        using var req = new HttpRequestMessage(method, path);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var resp = await _cluster.Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        return ((int)resp.StatusCode, text.StartsWith('{') ? JsonNode.Parse(text) : null);
    }

    private static async Task<string> RequestTokenAsync(string sa, string spec = "{}")
    {
        var (code, body) = await SendAsync("admin-token", HttpMethod.Post, $"/api/v1/namespaces/default/serviceaccounts/{sa}/token",
            $$"""{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{{spec}}}""");
        Assert.AreEqual(201, code, body?.ToJsonString());
        return body!["status"]!["token"]!.GetValue<string>();
    }

    [TestMethod]
    public async Task TokenRequest_IssuesAJwtThatAuthenticatesAsTheServiceAccount()
    {
        var token = await RequestTokenAsync("builder");
        Assert.AreEqual(3, token.Split('.').Length);
        var (code, body) = await SendAsync(token, HttpMethod.Post, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""");
        Assert.AreEqual(201, code);
        Assert.AreEqual("system:serviceaccount:default:builder", body!["status"]!["userInfo"]!["username"]!.GetValue<string>());
        CollectionAssert.AreEquivalent(new[] { "system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated" },
            body["status"]!["userInfo"]!["groups"]!.AsArray().Select(g => g!.GetValue<string>()).ToArray());

        (code, body) = await SendAsync(token, HttpMethod.Get, "/api/v1/namespaces/default/pods");
        Assert.AreEqual(403, code);
        Assert.AreEqual("pods is forbidden: User \"system:serviceaccount:default:builder\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"",
            body!["message"]!.GetValue<string>());

        await _cluster.Client.CreateAsync(new V1RoleBinding
        {
            Metadata = new() { Name = "builder-view", NamespaceProperty = "default" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "view" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "builder" }],
        });
        Assert.AreEqual(200, (await SendAsync(token, HttpMethod.Get, "/api/v1/namespaces/default/pods")).Code, "the bootstrap view role applies");
        Assert.AreEqual(403, (await SendAsync(token, HttpMethod.Get, "/api/v1/namespaces/default/secrets")).Code, "view does not read secrets");
    }

    [TestMethod]
    public async Task Tokens_AreRefusedForOtherAudiences_TamperedOrDeletedAccounts()
    {
        var other = await RequestTokenAsync("builder", """{"audiences":["vault"]}""");
        Assert.AreEqual(401, (await SendAsync(other, HttpMethod.Get, "/api")).Code, "a token for another audience is not an API token");

        var token = await RequestTokenAsync("builder");
        var parts = token.Split('.');
        var tampered = parts[0] + "." + parts[1][..^2] + "AA." + parts[2];
        Assert.AreEqual(401, (await SendAsync(tampered, HttpMethod.Get, "/api")).Code);

        await _cluster.Client.CreateAsync(new V1ServiceAccount { Metadata = new() { Name = "temp", NamespaceProperty = "default" } });
        var temp = await RequestTokenAsync("temp");
        Assert.AreEqual(200, (await SendAsync(temp, HttpMethod.Get, "/api")).Code);
        await _cluster.Client.DeleteAsync<V1ServiceAccount>("temp", "default");
        Assert.AreEqual(401, (await SendAsync(temp, HttpMethod.Get, "/api")).Code, "the token dies with its service account");

        var (code, body) = await SendAsync("admin-token", HttpMethod.Post, "/api/v1/namespaces/default/serviceaccounts/builder/token",
            """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":60}}""");
        Assert.AreEqual(400, code, body?.ToJsonString());
        Assert.AreEqual(404, (await SendAsync("admin-token", HttpMethod.Post, "/api/v1/namespaces/default/serviceaccounts/missing/token", "{}")).Code);
    }

    [TestMethod]
    public async Task KubectlCreateToken_PrintsAWorkingToken()
    {
        KubectlRunner.RequireInstalled();
        // kubectl sends bearer tokens only over HTTPS, so this runs its own TLS server
        var pkiDir = Path.Combine(Path.GetTempPath(), "kube-sa-pki", Guid.NewGuid().ToString("n"));
        var pki = ClusterPki.CreateOrLoad(pkiDir);
        await using var tls = await TestCluster.StartAsync(o => o.Security = new ApiServerSecurityOptions
        {
            ServingCertificate = pki.ServingCertificate(),
            TokenAuthFile = _tokenFile,
            ServiceAccountIssuer = new ServiceAccountTokenIssuer(pki.ServiceAccountKey()),
        });
        try
        {
            await tls.Client.CreateAsync(new V1ServiceAccount { Metadata = new() { Name = "builder", NamespaceProperty = "default" } });
            using var kubectl = KubectlRunner.ForServer(tls.Server.BaseAddress);
            var (code, stdout, stderr) = await kubectl.RunArgsAsync("--insecure-skip-tls-verify=true", "--token", "admin-token", "create", "token", "builder", "-n", "default");
            Assert.AreEqual(0, code, stderr);
            var token = stdout.Trim();
            (code, stdout, stderr) = await kubectl.RunArgsAsync("--insecure-skip-tls-verify=true", "--token", token, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}");
            Assert.AreEqual("system:serviceaccount:default:builder", stdout.Trim(), stderr);
            (_, stdout, stderr) = await kubectl.RunArgsAsync("--insecure-skip-tls-verify=true", "--token", token, "auth", "can-i", "create", "pods", "-n", "default");
            Assert.AreEqual("no", stdout.Trim(), stderr);
        }
        finally
        {
            Directory.Delete(pkiDir, recursive: true);
        }
    }
}
