using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s.Models;
using Kube.ApiServer;
using Kube.ApiServer.Security;
using Kube.Core.Admission;
using Kube.Node.Runtime.Simulated;
using Kube.Node.Server;
using Kube.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests.Server;

/// <summary>
/// The kubelet's webhook authorization: a real secure API server (cluster PKI, RBAC, bootstrap policy) answers the
/// SubjectAccessReviews a real kubelet HTTPS server sends as its node, for callers with client certificates of the cluster CA.
/// </summary>
[TestClass]
public sealed class KubeletAuthorizationTests
{
    private static string _dir = "";
    private static EmbeddedStore _store = null!;
    private static KubeApiServer _api = null!;
    private static ClusterPki _pki = null!;
    private static KubeletServer _kubelet = null!;
    private static HttpClient _nodeToApi = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        _dir = Directory.CreateTempSubdirectory("kubelet-authz-").FullName;
        var (security, pki) = ClusterSecurity.ForDataDir(_dir);
        _pki = pki;
        _store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = Path.Combine(_dir, "store") });
        _api = await KubeApiServer.StartAsync(new ApiServerOptions { Port = 0, BindAddress = "127.0.0.1", Security = security }, _store);
        var admin = _api.CreateClient(UserInfo.Admin);
        await admin.CreateAsync(new V1ClusterRole
        {
            Metadata = new() { Name = "node-stats-reader" },
            Rules = [new V1PolicyRule { Verbs = ["get"], ApiGroups = [""], Resources = ["nodes/stats"] }],
        });
        await admin.CreateAsync(new V1ClusterRoleBinding
        {
            Metadata = new() { Name = "alice-node-stats" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "node-stats-reader" },
            Subjects = [new Rbacv1Subject { Kind = "User", ApiGroup = "rbac.authorization.k8s.io", Name = "alice" }],
        });

        _nodeToApi = Https(_api.BaseAddress, pki.NodeCertificate("n1"));
        _kubelet = new KubeletServer(new KubeletServerOptions
        {
            Tls = new KubeletServerTlsOptions
            {
                ServingCertificate = pki.KubeletServingCertificate("n1"),
                ClientCertificateAuthority = pki.CertificateAuthority,
                Authorizer = new SubjectAccessReviewKubeletAuthorizer("n1", _nodeToApi),
            },
        }, new SimulatedRuntime(), TimeProvider.System, NullLogger.Instance)
        {
            SummaryProvider = _ => Task.FromResult("{\"node\":{\"nodeName\":\"n1\"}}"),
        };
        _kubelet.Start();
    }

    [ClassCleanup]
    public static async Task CleanupAsync()
    {
        await _kubelet.DisposeAsync();
        _nodeToApi.Dispose();
        await _api.DisposeAsync();
        await _store.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static HttpClient Https(Uri server, X509Certificate2 client)
    {
        var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && ClusterPki.ChainsTo(c, _pki.CertificateAuthority);
        handler.SslOptions.ClientCertificates = [client];
        return new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(20) };
    }

    private static HttpClient ToKubelet(X509Certificate2 client) => Https(new Uri($"https://127.0.0.1:{_kubelet.Port}/"), client);

    [TestMethod]
    public async Task ApiServersKubeletClient_IsAllowedEverything_ThroughItsBootstrapBinding_RequestAfterRequest()
    {
        using var http = ToKubelet(_pki.ApiServerKubeletClientCertificate());
        Assert.AreEqual("{\"node\":{\"nodeName\":\"n1\"}}", await http.GetStringAsync("stats/summary"));
        Assert.AreEqual("ok", await http.GetStringAsync("healthz"));
        Assert.AreEqual("ok", await http.GetStringAsync("healthz"), "each request is authorized and relayed, also after the first");
        using var missing = await http.GetAsync("containerLogs/default/nope/main");
        Assert.AreEqual(HttpStatusCode.NotFound, missing.StatusCode, "authorized (nodes/proxy), then answered by the kubelet");
    }

    [TestMethod]
    public async Task UserWithoutNodesProxy_GetsTheKubeletsForbidden_ButTheSubresourceItIsGranted()
    {
        using var http = ToKubelet(_pki.ClientCertificate("alice", "alice", ["devs"]));
        Assert.AreEqual("{\"node\":{\"nodeName\":\"n1\"}}", await http.GetStringAsync("stats/summary"), "nodes/stats get is bound to alice");

        using var logs = await http.GetAsync("containerLogs/default/p/c");
        Assert.AreEqual(HttpStatusCode.Forbidden, logs.StatusCode);
        Assert.AreEqual("Forbidden (user=alice, verb=get, resource=nodes, subresource=proxy)\n", await logs.Content.ReadAsStringAsync());

        using var exec = await http.PostAsync("exec/default/p/c?command=id", new StringContent(""));
        Assert.AreEqual(HttpStatusCode.Forbidden, exec.StatusCode);
        Assert.AreEqual("Forbidden (user=alice, verb=create, resource=nodes, subresource=proxy)\n", await exec.Content.ReadAsStringAsync());

        using var metrics = await http.GetAsync("metrics/cadvisor");
        Assert.AreEqual("Forbidden (user=alice, verb=get, resource=nodes, subresource=metrics)\n", await metrics.Content.ReadAsStringAsync());
    }

    [TestMethod]
    public async Task ForeignNode_IsRefusedTheApi_OfAnotherNode()
    {
        using var http = ToKubelet(_pki.NodeCertificate("n2"));
        using var response = await http.GetAsync("stats/summary");
        Assert.AreEqual(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.AreEqual("Forbidden (user=system:node:n2, verb=get, resource=nodes, subresource=stats)\n", await response.Content.ReadAsStringAsync());
    }

    [TestMethod]
    [DataRow("GET", "/exec/ns/p/c", "get", "proxy")]
    [DataRow("POST", "/exec/ns/p/c", "create", "proxy")]
    [DataRow("POST", "/run/ns/p/c", "create", "proxy")]
    [DataRow("GET", "/attach/ns/p/c", "get", "proxy")]
    [DataRow("GET", "/portForward/ns/p", "get", "proxy")]
    [DataRow("GET", "/containerLogs/ns/p/c", "get", "proxy")]
    [DataRow("GET", "/logs/", "get", "log")]
    [DataRow("GET", "/logs", "get", "log")]
    [DataRow("GET", "/logsX", "get", "proxy")]
    [DataRow("GET", "/stats/summary", "get", "stats")]
    [DataRow("GET", "/metrics/resource", "get", "metrics")]
    [DataRow("GET", "/spec/", "get", "spec")]
    [DataRow("PUT", "/pods", "update", "proxy")]
    [DataRow("PATCH", "/pods", "patch", "proxy")]
    [DataRow("DELETE", "/pods", "delete", "proxy")]
    public void Attributes_FollowUpstreamsPathAndVerbMapping(string method, string path, string verb, string subresource)
    {
        var a = KubeletRequestAttributes.For("u", [], method, path, "n1");
        Assert.AreEqual((verb, subresource, "n1"), (a.Verb, a.Subresource, a.NodeName));
    }
}
