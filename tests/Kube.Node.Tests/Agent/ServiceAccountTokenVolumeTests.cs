using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kube.ApiServer;
using Kube.ApiServer.Security;
using Kube.Core.Admission;
using Kube.Core.Client;
using Kube.Node.Agent;
using Kube.Node.Agent.Volumes;
using Kube.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Node.Tests.Agent;

/// <summary>
/// The projected serviceAccountToken of the kube-api-access volume against an in-process API server with security on:
/// a real bound JWT from TokenRequest that TokenReview accepts, written atomically, refreshed after 80% of its lifetime,
/// and a failed request fails the volume instead of writing a placeholder.
/// </summary>
[TestClass]
public sealed class ServiceAccountTokenVolumeTests
{
    private const string AdminToken = "admin-token";

    private string _dir = null!;
    private EmbeddedStore _store = null!;
    private KubeApiServer _server = null!;
    private IKubeClient _client = null!;
    private HttpClient _http = null!;

    [TestInitialize]
    public async Task Init()
    {
        _dir = TempDirs.Create("kube-node-satoken");
        var tokens = Path.Combine(_dir, "tokens.csv");
        await File.WriteAllTextAsync(tokens, $"{AdminToken},root,1,\"system:masters\"\n");
        _store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = Path.Combine(_dir, "store") });
        _server = await KubeApiServer.StartAsync(new ApiServerOptions
        {
            Port = 0,
            Security = new ApiServerSecurityOptions
            {
                TokenAuthFile = tokens,
                ServiceAccountIssuer = new ServiceAccountTokenIssuer(ECDsa.Create(ECCurve.NamedCurves.nistP256)),
            },
        }, _store);
        _client = _server.CreateClient(UserInfo.Admin);
        _http = new HttpClient { BaseAddress = _server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        try
        {
            await _client.CreateAsync(new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = new V1ObjectMeta { Name = "default", NamespaceProperty = "default" } });
        }
        catch (KubeApiException e) when ((int)e.StatusCode == 409)
        {
        }

        await _client.CreateAsync(new V1ConfigMap
        {
            ApiVersion = "v1", Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = "kube-root-ca.crt", NamespaceProperty = "default" },
            Data = new Dictionary<string, string> { ["ca.crt"] = "-----BEGIN CERTIFICATE-----\ntest-ca\n-----END CERTIFICATE-----\n" },
        });
    }

    [TestCleanup]
    public async Task Cleanup()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [TestMethod]
    public async Task ProjectedToken_IsABoundJwtOfTheServiceAccount_RefreshedAfter80PercentOfItsLifetime()
    {
        var pod = await CreatePodAsync(expirationSeconds: 600);
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var requester = new HttpRequester(_http);
        var volumes = new VolumeManager(_client, Path.Combine(_dir, "volumes"), time, NullLogger.Instance)
        {
            Tokens = new ServiceAccountTokenManager(requester, time, NullLogger.Instance),
        };

        var paths = await volumes.SetUpAsync(pod, null, CancellationToken.None);
        var dir = paths["kube-api-access-test"];
        var token = await File.ReadAllTextAsync(Path.Combine(dir, "token"));
        Assert.AreEqual(3, token.Split('.').Length, "a JWT: " + token);
        Assert.AreNotEqual(VolumeManager.PlaceholderToken, token);
        Assert.AreEqual("system:serviceaccount:default:default", await ReviewAsync(token));
        StringAssert.Contains(await File.ReadAllTextAsync(Path.Combine(dir, "ca.crt")), "test-ca");
        Assert.AreEqual("default", await File.ReadAllTextAsync(Path.Combine(dir, "namespace")));
        Assert.IsTrue(new FileInfo(Path.Combine(dir, AtomicVolumeWriter.DataLink)).LinkTarget is not null, "written by the atomic writer");

        var sent = requester.Requests.Single();
        Assert.AreEqual(600, sent.Spec.ExpirationSeconds);
        Assert.AreEqual("Pod", sent.Spec.BoundObjectRef.Kind);
        Assert.AreEqual(pod.Metadata.Name, sent.Spec.BoundObjectRef.Name);
        Assert.AreEqual(pod.Metadata.Uid, sent.Spec.BoundObjectRef.Uid);
        Assert.AreEqual(0, sent.Spec.Audiences.Count, "no audience: the API server's own");

        // Before 80% of 600 s the token is kept; after it, a new one is requested and written.
        time.Advance(TimeSpan.FromSeconds(470));
        await volumes.SetUpAsync(pod, null, CancellationToken.None);
        Assert.HasCount(1, requester.Requests);
        time.Advance(TimeSpan.FromSeconds(20));
        await volumes.SetUpAsync(pod, null, CancellationToken.None);
        Assert.HasCount(2, requester.Requests);
        var refreshed = await File.ReadAllTextAsync(Path.Combine(dir, "token"));
        Assert.AreEqual(requester.Issued[^1], refreshed);
        Assert.AreEqual("system:serviceaccount:default:default", await ReviewAsync(refreshed));
    }

    [TestMethod]
    public async Task ExpirationSeconds_DefaultsTo3600_AndIsAtLeast600()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var requester = new HttpRequester(_http);
        var volumes = new VolumeManager(_client, Path.Combine(_dir, "volumes"), time, NullLogger.Instance)
        {
            Tokens = new ServiceAccountTokenManager(requester, time, NullLogger.Instance),
        };
        await volumes.SetUpAsync(await CreatePodAsync(expirationSeconds: null), null, CancellationToken.None);
        await volumes.SetUpAsync(await CreatePodAsync(expirationSeconds: 60), null, CancellationToken.None);
        CollectionAssert.AreEqual(new long?[] { 3600, 600 }, requester.Requests.Select(r => r.Spec.ExpirationSeconds).ToArray());
    }

    [TestMethod]
    public async Task AFailedTokenRequest_FailsTheVolume_NoPlaceholder_AndIsRetried()
    {
        var pod = await CreatePodAsync(expirationSeconds: 3607, serviceAccount: "missing");
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var requester = new HttpRequester(_http);
        var volumes = new VolumeManager(_client, Path.Combine(_dir, "volumes"), time, NullLogger.Instance)
        {
            Tokens = new ServiceAccountTokenManager(requester, time, NullLogger.Instance),
        };
        var ex = await Assert.ThrowsExactlyAsync<VolumeSetupException>(() => volumes.SetUpAsync(pod, null, CancellationToken.None));
        StringAssert.Contains(ex.Message, "kube-api-access-test");
        Assert.IsFalse(File.Exists(Path.Combine(_dir, "volumes", pod.Metadata.Uid, "kube-api-access-test", "token")));

        await _client.CreateAsync(new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = new V1ObjectMeta { Name = "missing", NamespaceProperty = "default" } });
        var paths = await volumes.SetUpAsync(pod, null, CancellationToken.None);
        var token = await File.ReadAllTextAsync(Path.Combine(paths["kube-api-access-test"], "token"));
        Assert.AreEqual("system:serviceaccount:default:missing", await ReviewAsync(token));
    }

    [TestMethod]
    public async Task AMissingKubeRootCa_FailsTheVolume_UntilItIsPublished_ThenCaCrtLands()
    {
        await _client.DeleteAsync<V1ConfigMap>("kube-root-ca.crt", "default");
        var pod = await CreatePodAsync(expirationSeconds: 3607);
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var volumes = new VolumeManager(_client, Path.Combine(_dir, "volumes"), time, NullLogger.Instance)
        {
            Tokens = new ServiceAccountTokenManager(new HttpRequester(_http), time, NullLogger.Instance),
        };
        var ex = await Assert.ThrowsExactlyAsync<VolumeSetupException>(() => volumes.SetUpAsync(pod, null, CancellationToken.None));
        StringAssert.Contains(ex.Message, "kube-root-ca.crt");

        await _client.CreateAsync(new V1ConfigMap
        {
            ApiVersion = "v1", Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = "kube-root-ca.crt", NamespaceProperty = "default" },
            Data = new Dictionary<string, string> { ["ca.crt"] = "published-ca" },
        });
        var paths = await volumes.SetUpAsync(pod, null, CancellationToken.None);
        Assert.AreEqual("published-ca", await File.ReadAllTextAsync(Path.Combine(paths["kube-api-access-test"], "ca.crt")));
    }

    private async Task<V1Pod> CreatePodAsync(long? expirationSeconds, string serviceAccount = "default") =>
        await _client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "sa-" + Guid.NewGuid().ToString("N")[..8], NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                NodeName = "node-1",
                ServiceAccountName = serviceAccount,
                Volumes =
                [
                    new V1Volume
                    {
                        Name = "kube-api-access-test",
                        Projected = new V1ProjectedVolumeSource
                        {
                            DefaultMode = 420,
                            Sources =
                            [
                                new V1VolumeProjection { ServiceAccountToken = new V1ServiceAccountTokenProjection { Path = "token", ExpirationSeconds = expirationSeconds } },
                                new V1VolumeProjection { ConfigMap = new V1ConfigMapProjection { Name = "kube-root-ca.crt", Items = [new V1KeyToPath { Key = "ca.crt", Path = "ca.crt" }] } },
                                new V1VolumeProjection
                                {
                                    DownwardAPI = new V1DownwardAPIProjection
                                    {
                                        Items = [new V1DownwardAPIVolumeFile { Path = "namespace", FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.namespace" } }],
                                    },
                                },
                            ],
                        },
                    },
                ],
                Containers = [new V1Container { Name = "main", Image = "busybox" }],
            },
        });

    private async Task<string?> ReviewAsync(string token)
    {
        var body = new JsonObject
        {
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["kind"] = "TokenReview",
            ["spec"] = new JsonObject { ["token"] = token },
        };
        using var resp = await _http.PostAsync("/apis/authentication.k8s.io/v1/tokenreviews", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await resp.Content.ReadAsStringAsync();
        Assert.IsTrue(resp.IsSuccessStatusCode, text);
        var status = JsonNode.Parse(text)!["status"]!;
        return status["authenticated"]?.GetValue<bool>() == true ? status["user"]?["username"]?.GetValue<string>() : null;
    }

    /// <summary>POSTs TokenRequests to the API server over HTTP, as the administrator, recording each request and token.</summary>
    private sealed class HttpRequester(HttpClient http) : IServiceAccountTokenRequester
    {
        public List<Authenticationv1TokenRequest> Requests { get; } = [];

        public List<string> Issued { get; } = [];

        public async Task<Authenticationv1TokenRequest> CreateTokenAsync(string @namespace, string name, Authenticationv1TokenRequest request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            using var resp = await http.PostAsync($"/api/v1/namespaces/{@namespace}/serviceaccounts/{name}/token",
                new StringContent(KubernetesJson.Serialize(request), Encoding.UTF8, "application/json"), cancellationToken);
            var text = await resp.Content.ReadAsStringAsync(cancellationToken);
            if (!resp.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"TokenRequest failed with {(int)resp.StatusCode}: {text}");
            }

            var result = KubernetesJson.Deserialize<Authenticationv1TokenRequest>(text);
            Issued.Add(result.Status.Token);
            return result;
        }
    }
}
