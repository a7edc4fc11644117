using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Security;

namespace Kube.ApiServer.Tests.Proxy;

/// <summary>pods/portforward is authorized as upstream's RBAC has it: verb create on the pods/portforward subresource.</summary>
[TestClass]
public sealed class KubeletPortForwardRbacTests
{
    private static TestCluster _cluster = null!;
    private static string _tokenFile = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        _tokenFile = Path.Combine(Path.GetTempPath(), "kube-pf-tokens-" + Guid.NewGuid().ToString("n") + ".csv");
        await File.WriteAllTextAsync(_tokenFile, """
            admin-token,root,1,"system:masters"
            alice-token,alice,2
            """);
        _cluster = await TestCluster.StartAsync(o => o.Security = new ApiServerSecurityOptions { TokenAuthFile = _tokenFile });
        var c = _cluster.Client;
        await c.CreateAsync(new V1Pod
        {
            Metadata = new() { Name = "p", NamespaceProperty = "default" },
            Spec = new() { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        });
        // alice may read pods and even "get" pods/portforward, but not create it.
        await c.CreateAsync(new V1Role
        {
            Metadata = new() { Name = "pod-reader", NamespaceProperty = "default" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["pods", "pods/portforward"], Verbs = ["get", "list"] }],
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

    private static async Task<(int Code, JsonNode? Body)> PostAsync(string token, string path)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, path);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var resp = await _cluster.Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        return ((int)resp.StatusCode, text.StartsWith('{') ? JsonNode.Parse(text) : null);
    }

    [TestMethod]
    public async Task PortForward_WithoutCreateOnPodsPortforward_Is403_WithAdmin_ReachesThePod()
    {
        var (code, body) = await PostAsync("alice-token", "/api/v1/namespaces/default/pods/p/portforward");
        Assert.AreEqual(403, code, body?.ToJsonString());
        Assert.AreEqual("Forbidden", body!["reason"]!.GetValue<string>());
        StringAssert.Contains(body["message"]!.GetValue<string>(), "cannot create resource \"pods/portforward\"");

        (code, body) = await PostAsync("admin-token", "/api/v1/namespaces/default/pods/p/portforward");
        Assert.AreEqual(400, code, body?.ToJsonString());
        Assert.AreEqual("pod p does not have a host assigned", body!["message"]!.GetValue<string>(), "authorized: the pod is looked up, and has no node yet");
    }
}
