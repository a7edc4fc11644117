using System.Text.Json;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kube.Core.Client;
using Kube.Core.Resources;
using Kube.Core.Tests.Testing;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using WatchEventType = Kube.Core.Client.WatchEventType;

namespace Kube.Core.Tests.Client;

/// <summary>HttpKubeClient against a real loopback socket with canned answers (the API server has no HTTP yet).</summary>
[TestClass]
public sealed class HttpKubeClientTests
{
    private static readonly ResourceTypeRegistry Registry = ResourceTypeRegistry.CreateDefault();

    private static string PodJson(string name, string rv, string? node = null) => KubernetesJson.Serialize(new V1Pod
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ns", ResourceVersion = rv },
        Spec = new V1PodSpec { NodeName = node },
    });

    // KubernetesJson cannot write V1Status (its converter's Write is not implemented), so the body is written by hand.
    private static string StatusJson(int code, string reason, string message, string status = "Failure") =>
        $"{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"{status}\",\"message\":{JsonSerializer.Serialize(message)},\"reason\":\"{reason}\",\"code\":{code}}}";

    private static HttpKubeClient ClientFor(LoopbackHttpServer server, HttpKubeClientOptions? options = null) =>
        new(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, server.BaseAddress, Registry, options);

    [TestMethod]
    public async Task Get_BuildsPathsForCoreGroupAndClusterScope()
    {
        await using var server = new LoopbackHttpServer(r => r.Path switch
        {
            "/api/v1/namespaces/ns/pods/p1" => new CannedResponse(200, PodJson("p1", "7")),
            "/apis/apps/v1/namespaces/ns/deployments/d" => new CannedResponse(200, KubernetesJson.Serialize(new V1Deployment { Metadata = new V1ObjectMeta { Name = "d" } })),
            "/api/v1/nodes/n1" => new CannedResponse(200, KubernetesJson.Serialize(new V1Node { Metadata = new V1ObjectMeta { Name = "n1" } })),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l" => new CannedResponse(200, KubernetesJson.Serialize(new V1Lease { Metadata = new V1ObjectMeta { Name = "l" } })),
            _ => new CannedResponse(404, StatusJson(404, "NotFound", $"no route {r.Path}")),
        });
        using var client = ClientFor(server);
        var pod = await client.GetAsync<V1Pod>("p1", "ns");
        Assert.AreEqual("7", pod.Metadata.ResourceVersion);
        var d = await client.GetAsync<V1Deployment>("d", "ns");
        Assert.AreEqual("apps/v1", d.ApiVersion, "apiVersion and kind are filled in");
        Assert.AreEqual("Deployment", d.Kind);
        Assert.AreEqual("n1", (await client.GetAsync<V1Node>("n1")).Metadata.Name);
        Assert.AreEqual("l", (await client.GetAsync<V1Lease>("l", "kube-system")).Metadata.Name);
        Assert.AreEqual("application/json", server.Requests[0].Headers["Accept"]);
        await Assert.ThrowsExactlyAsync<ArgumentException>(() => client.GetAsync<V1Pod>("p1"));
    }

    [TestMethod]
    public async Task List_SendsQueryParameters_AndReadsMetadata()
    {
        var list = $"{{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{{\"resourceVersion\":\"42\",\"continue\":\"tok2\",\"remainingItemCount\":3}},\"items\":[{PodJson("a", "40").Replace("\"apiVersion\":\"v1\",", "").Replace("\"kind\":\"Pod\",", "")},{PodJson("b", "41")}]}}";
        await using var server = new LoopbackHttpServer(_ => new CannedResponse(200, list));
        using var client = ClientFor(server);
        var page = await client.ListAsync<V1Pod>("ns", new ListOptions { LabelSelector = "app in (a,b)", FieldSelector = "spec.nodeName=n1", Limit = 2, Continue = "tok1" });
        Assert.AreEqual("42", page.ResourceVersion);
        Assert.AreEqual("tok2", page.Continue);
        Assert.AreEqual(3L, page.RemainingItemCount);
        CollectionAssert.AreEqual(new[] { "a", "b" }, page.Items.Select(p => p.Metadata.Name).ToArray());
        Assert.AreEqual("Pod", page.Items[0].Kind, "items without kind get it from the registry");
        var req = server.Requests.Single();
        Assert.AreEqual("/api/v1/namespaces/ns/pods", req.Path);
        Assert.AreEqual("app in (a,b)", req.QueryValue("labelSelector"));
        Assert.AreEqual("spec.nodeName=n1", req.QueryValue("fieldSelector"));
        Assert.AreEqual("2", req.QueryValue("limit"));
        Assert.AreEqual("tok1", req.QueryValue("continue"));
        Assert.IsNull(req.QueryValue("watch"));
    }

    [TestMethod]
    [DataRow(404, "NotFound", typeof(NotFoundException))]
    [DataRow(409, "Conflict", typeof(ConflictException))]
    [DataRow(409, "AlreadyExists", typeof(AlreadyExistsException))]
    [DataRow(422, "Invalid", typeof(InvalidException))]
    [DataRow(410, "Expired", typeof(GoneException))]
    [DataRow(403, "Forbidden", typeof(ForbiddenException))]
    [DataRow(401, "Unauthorized", typeof(UnauthorizedException))]
    [DataRow(429, "TooManyRequests", typeof(TooManyRequestsException))]
    public async Task Errors_BecomeTypedExceptions_WithTheServersStatus(int code, string reason, Type expected)
    {
        await using var server = new LoopbackHttpServer(_ => new CannedResponse(code, StatusJson(code, reason, "the server says no")));
        using var client = ClientFor(server);
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => client.GetAsync<V1Pod>("p", "ns"));
        Assert.AreEqual(expected, ex.GetType());
        Assert.AreEqual(code, ex.Status.Code);
        Assert.AreEqual("the server says no", ex.Message);
    }

    [TestMethod]
    public async Task Error_WithoutStatusBody_KeepsCodeAndText()
    {
        await using var server = new LoopbackHttpServer(_ => new CannedResponse(404, "page not found"));
        using var client = ClientFor(server);
        var ex = await Assert.ThrowsExactlyAsync<NotFoundException>(() => client.GetAsync<V1Pod>("p", "ns"));
        Assert.AreEqual("page not found", ex.Message);
    }

    [TestMethod]
    public async Task Watch_ParsesEventsIncrementally_BookmarksAndEnd()
    {
        var lines = Channel.CreateUnbounded<string>();
        await using var server = new LoopbackHttpServer(_ => new CannedResponse(200, Lines: lines.Reader));
        using var client = ClientFor(server);
        await using var e = client.WatchAsync<V1Pod>("ns", new ListOptions { ResourceVersion = "5", AllowWatchBookmarks = true, TimeoutSeconds = 30 })
            .GetAsyncEnumerator();

        lines.Writer.TryWrite($"{{\"type\":\"ADDED\",\"object\":{PodJson("a", "6")}}}");
        Assert.IsTrue(await e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)), "the first event arrives before the stream ends");
        Assert.AreEqual(WatchEventType.Added, e.Current.Type);
        Assert.AreEqual("6", e.Current.ResourceVersion);

        lines.Writer.TryWrite($"{{\"type\":\"MODIFIED\",\"object\":{PodJson("a", "7", "n1")}}}");
        Assert.IsTrue(await e.MoveNextAsync());
        Assert.AreEqual("n1", e.Current.Object!.Spec.NodeName);
        lines.Writer.TryWrite("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"9\"}}}");
        Assert.IsTrue(await e.MoveNextAsync());
        Assert.AreEqual(WatchEventType.Bookmark, e.Current.Type);
        Assert.AreEqual("9", e.Current.ResourceVersion);
        lines.Writer.TryWrite($"{{\"type\":\"DELETED\",\"object\":{PodJson("a", "10")}}}");
        Assert.IsTrue(await e.MoveNextAsync());
        Assert.AreEqual(WatchEventType.Deleted, e.Current.Type);
        lines.Writer.Complete();
        Assert.IsFalse(await e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        var req = server.Requests.Single();
        Assert.AreEqual("true", req.QueryValue("watch"));
        Assert.AreEqual("5", req.QueryValue("resourceVersion"));
        Assert.AreEqual("true", req.QueryValue("allowWatchBookmarks"));
        Assert.AreEqual("30", req.QueryValue("timeoutSeconds"));
    }

    [TestMethod]
    public async Task Watch_ErrorEventWith410_ThrowsGone()
    {
        var lines = Channel.CreateUnbounded<string>();
        lines.Writer.TryWrite($"{{\"type\":\"ADDED\",\"object\":{PodJson("a", "6")}}}");
        lines.Writer.TryWrite($"{{\"type\":\"ERROR\",\"object\":{StatusJson(410, "Expired", "too old resource version: 1 (5)")}}}");
        await using var server = new LoopbackHttpServer(_ => new CannedResponse(200, Lines: lines.Reader));
        using var client = ClientFor(server);
        var seen = 0;
        var ex = await Assert.ThrowsExactlyAsync<GoneException>(async () =>
        {
            await foreach (var _ in client.WatchAsync<V1Pod>("ns", new ListOptions { ResourceVersion = "1" })) seen++;
        });
        Assert.AreEqual(1, seen);
        StringAssert.Contains(ex.Message, "too old");
        lines.Writer.Complete();
    }

    [TestMethod]
    public async Task Watch_410Response_ThrowsGoneBeforeAnyEvent()
    {
        await using var server = new LoopbackHttpServer(_ => new CannedResponse(410, StatusJson(410, "Expired", "too old")));
        using var client = ClientFor(server);
        await Assert.ThrowsExactlyAsync<GoneException>(async () =>
        {
            await foreach (var _ in client.WatchAsync<V1Pod>()) { }
        });
        Assert.AreEqual("/api/v1/pods", server.Requests.Single().Path, "all namespaces");
    }

    [TestMethod]
    public async Task Delete_SendsDeleteOptionsBody_AndMapsStatusToNull()
    {
        var answer = StatusJson(200, "", "", "Success");
        await using var server = new LoopbackHttpServer(_ => new CannedResponse(200, answer));
        using var client = ClientFor(server);
        var gone = await client.DeleteAsync<V1Pod>("p", "ns", new DeleteOptions
        {
            GracePeriodSeconds = 0,
            PropagationPolicy = PropagationPolicy.Foreground,
            PreconditionUid = "u1",
            PreconditionResourceVersion = "8",
        });
        Assert.IsNull(gone);
        var req = server.Requests[0];
        Assert.AreEqual("DELETE", req.Method);
        Assert.AreEqual("/api/v1/namespaces/ns/pods/p", req.Path);
        using var body = JsonDocument.Parse(req.Body);
        Assert.AreEqual("DeleteOptions", body.RootElement.GetProperty("kind").GetString());
        Assert.AreEqual("v1", body.RootElement.GetProperty("apiVersion").GetString());
        Assert.AreEqual("Foreground", body.RootElement.GetProperty("propagationPolicy").GetString());
        Assert.AreEqual(0, body.RootElement.GetProperty("gracePeriodSeconds").GetInt64());
        Assert.AreEqual("u1", body.RootElement.GetProperty("preconditions").GetProperty("uid").GetString());
        Assert.AreEqual("8", body.RootElement.GetProperty("preconditions").GetProperty("resourceVersion").GetString());

        answer = PodJson("p", "9");
        Assert.IsNull(await client.DeleteAsync<V1Pod>("p", "ns"), "the deleted object itself means gone");
        answer = KubernetesJson.Serialize(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p", ResourceVersion = "10", DeletionTimestamp = DateTime.UtcNow, Finalizers = ["example.com/f"] },
        });
        var pending = await client.DeleteAsync<V1Pod>("p", "ns");
        Assert.AreEqual("10", pending!.Metadata.ResourceVersion, "an object held by finalizers is returned");
    }

    [TestMethod]
    public async Task CreateUpdatePatchAndSubresource_UseMethodsPathsAndContentTypes()
    {
        await using var server = new LoopbackHttpServer(r => new CannedResponse(r.Method == "POST" ? 201 : 200, PodJson("p", "3")));
        using var client = ClientFor(server);
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "ns" } };
        await client.CreateAsync(pod, new WriteOptions { FieldManager = "me", DryRun = "All" });
        await client.UpdateAsync(pod);
        await client.UpdateStatusAsync(pod);
        await client.PatchAsync<V1Pod>("p", "ns", new KubePatch(KubePatchType.Merge, "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}"), "status");
        await client.CreateSubresourceAsync<V1Pod>("p", "ns", "binding", new V1Binding { Metadata = new V1ObjectMeta { Name = "p" }, Target = new V1ObjectReference { Kind = "Node", Name = "n1" } });

        var r = server.Requests;
        Assert.AreEqual("POST /api/v1/namespaces/ns/pods", $"{r[0].Method} {r[0].Path}");
        Assert.AreEqual("me", r[0].QueryValue("fieldManager"));
        Assert.AreEqual("All", r[0].QueryValue("dryRun"));
        using (var created = JsonDocument.Parse(r[0].Body))
        {
            Assert.AreEqual("Pod", created.RootElement.GetProperty("kind").GetString(), "kind is filled in on the wire");
            Assert.AreEqual("v1", created.RootElement.GetProperty("apiVersion").GetString());
        }

        Assert.IsNull(pod.Kind, "the caller's object is not mutated");
        Assert.AreEqual("PUT /api/v1/namespaces/ns/pods/p", $"{r[1].Method} {r[1].Path}");
        Assert.AreEqual("PUT /api/v1/namespaces/ns/pods/p/status", $"{r[2].Method} {r[2].Path}");
        Assert.AreEqual("PATCH /api/v1/namespaces/ns/pods/p/status", $"{r[3].Method} {r[3].Path}");
        StringAssert.StartsWith(r[3].Headers["Content-Type"], "application/merge-patch+json");
        Assert.AreEqual("POST /api/v1/namespaces/ns/pods/p/binding", $"{r[4].Method} {r[4].Path}");
        StringAssert.Contains(r[4].Body, "\"n1\"");
    }

    [TestMethod]
    public async Task FromConfig_UsesHostAndBearerToken()
    {
        await using var server = new LoopbackHttpServer(_ => new CannedResponse(200, PodJson("p", "1")));
        var config = new KubernetesClientConfiguration { Host = server.BaseAddress.ToString(), AccessToken = "s3cret" };
        using var client = HttpKubeClient.FromConfig(config);
        await client.GetAsync<V1Pod>("p", "ns");
        Assert.AreEqual("Bearer s3cret", server.Requests.Single().Headers["Authorization"]);
    }

    [TestMethod]
    public async Task RequestTimeout_GivesATimeoutError()
    {
        var never = new TaskCompletionSource<CannedResponse>();
        await using var server = new LoopbackHttpServer((_, ct) => never.Task.WaitAsync(ct));
        using var client = ClientFor(server, new HttpKubeClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(200) });
        var ex = await Assert.ThrowsAsync<KubeApiException>(() => client.GetAsync<V1Pod>("p", "ns"));
        Assert.AreEqual(504, ex.Status.Code);
        StringAssert.Contains(ex.Message, "did not answer");
    }

    [TestMethod]
    public void PathOf_EscapesNamesAndHandlesGroups()
    {
        Assert.AreEqual("api/v1/namespaces/a%20b/configmaps/x%2Fy", HttpKubeClient.PathOf(Registry.For<V1ConfigMap>(), "a b", "x/y"));
        Assert.AreEqual("apis/apps/v1/deployments", HttpKubeClient.PathOf(Registry.For<V1Deployment>(), null));
        Assert.AreEqual("apis/storage.k8s.io/v1/storageclasses/fast", HttpKubeClient.PathOf(Registry.For<V1StorageClass>(), "ignored", "fast"));
    }
}
