using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Tests.Proxy;

/// <summary>
/// pods/log and pods/exec relayed to a node's kubelet endpoint. The kubelet here is a small fake on loopback
/// speaking the node agent's wire format (containerLogs over HTTP, exec over the channel WebSocket).
/// </summary>
[TestClass]
public sealed class KubeletProxyTests
{
    private static TestCluster _cluster = null!;
    private static FakeKubelet _kubelet = null!;
    private static readonly TaskCompletionSource FollowRelease = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static string? _lastLogQuery;

    [ClassInitialize]
    public static async Task Init(TestContext _)
    {
        _cluster = await TestCluster.StartAsync();
        _kubelet = await FakeKubelet.StartAsync(FakeKubeletAsync);
        var node = await _kubelet.RegisterNodeAsync(_cluster, "kl-node");
        Assert.AreEqual(_kubelet.Port, node["status"]!["daemonEndpoints"]!["kubeletEndpoint"]!["Port"]!.GetValue<int>(), node.ToJsonString());
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("kl-pod", nodeName: "kl-node"));
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        r = await _cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("kl-unbound"));
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
    }

    [ClassCleanup]
    public static async Task Cleanup()
    {
        FollowRelease.TrySetResult();
        await _kubelet.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private static async Task FakeKubeletAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        if (path == "/containerLogs/default/kl-pod/c")
        {
            _lastLogQuery = ctx.Request.QueryString.Value;
            ctx.Response.ContentType = "text/plain";
            await ctx.Response.WriteAsync("line 1\n");
            await ctx.Response.Body.FlushAsync();
            if (ctx.Request.Query["follow"] == "true")
            {
                await FollowRelease.Task.WaitAsync(ctx.RequestAborted);
                await ctx.Response.WriteAsync("line 2\n");
            }
            return;
        }
        if (path == "/exec/default/kl-pod/c" && ctx.WebSockets.IsWebSocketRequest)
        {
            using var ws = await ctx.WebSockets.AcceptWebSocketAsync("v5.channel.k8s.io");
            var command = string.Join(" ", ctx.Request.Query["command"].ToArray());
            await ws.SendAsync(Frame(1, "ran: " + command + "\n"), WebSocketMessageType.Binary, true, default);
            var buffer = new byte[1024];
            var r = await ws.ReceiveAsync(buffer, default);
            await ws.SendAsync(Frame(1, "echo: " + Encoding.UTF8.GetString(buffer, 1, r.Count - 1)), WebSocketMessageType.Binary, true, default);
            await ws.SendAsync(Frame(3, """{"metadata":{},"status":"Success"}"""), WebSocketMessageType.Binary, true, default);
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
            return;
        }
        ctx.Response.StatusCode = 404;
    }

    private static byte[] Frame(byte channel, string text) => [channel, .. Encoding.UTF8.GetBytes(text)];

    [TestMethod]
    public async Task Log_IsRelayedFromTheKubelet_WithItsParameters()
    {
        var r = await _cluster.Http.GetAsync("/api/v1/namespaces/default/pods/kl-pod/log?tailLines=5&timestamps=true");
        Assert.AreEqual(200, (int)r.StatusCode, await r.Content.ReadAsStringAsync());
        Assert.AreEqual("text/plain", r.Content.Headers.ContentType?.MediaType);
        Assert.AreEqual("line 1\n", await r.Content.ReadAsStringAsync());
        StringAssert.Contains(_lastLogQuery, "tailLines=5");
        StringAssert.Contains(_lastLogQuery, "timestamps=true");
    }

    [TestMethod]
    public async Task Log_Follow_StreamsBeforeTheKubeletFinishes()
    {
        using var r = await _cluster.Http.GetAsync("/api/v1/namespaces/default/pods/kl-pod/log?follow=true", HttpCompletionOption.ResponseHeadersRead);
        Assert.AreEqual(200, (int)r.StatusCode);
        using var reader = new StreamReader(await r.Content.ReadAsStreamAsync());
        Assert.AreEqual("line 1", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)), "the first line arrives while the kubelet still holds the stream");
        FollowRelease.TrySetResult();
        Assert.AreEqual("line 2", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [TestMethod]
    public async Task Log_UnknownContainer_Is400_AndUnboundPod_Is400()
    {
        var r = await _cluster.GetAsync("/api/v1/namespaces/default/pods/kl-pod/log?container=nope");
        Assert.AreEqual(400, r.Code);
        Assert.AreEqual("container nope is not valid for pod kl-pod", r.Body!["message"]!.GetValue<string>());
        r = await _cluster.GetAsync("/api/v1/namespaces/default/pods/kl-unbound/log");
        Assert.AreEqual(400, r.Code);
        Assert.AreEqual("pod kl-unbound does not have a host assigned", r.Body!["message"]!.GetValue<string>());
        r = await _cluster.GetAsync("/api/v1/namespaces/default/pods/missing/log");
        Assert.AreEqual(404, r.Code);
    }

    [TestMethod]
    public async Task Exec_RelaysChannelFramesBothWays()
    {
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("v5.channel.k8s.io");
        ws.Options.AddSubProtocol("v4.channel.k8s.io");
        var uri = new Uri(_cluster.Http.BaseAddress!, "/api/v1/namespaces/default/pods/kl-pod/exec?command=sh&command=-c&command=true&stdin=true&stdout=true");
        await ws.ConnectAsync(new UriBuilder(uri) { Scheme = "ws" }.Uri, CancellationToken.None);
        Assert.AreEqual("v5.channel.k8s.io", ws.SubProtocol);
        var buffer = new byte[1024];
        var first = await ws.ReceiveAsync(buffer, CancellationToken.None);
        Assert.AreEqual(1, buffer[0]);
        Assert.AreEqual("ran: sh -c true\n", Encoding.UTF8.GetString(buffer, 1, first.Count - 1));
        await ws.SendAsync(Frame(0, "hello"), WebSocketMessageType.Binary, true, CancellationToken.None);
        var echo = await ws.ReceiveAsync(buffer, CancellationToken.None);
        Assert.AreEqual("echo: hello", Encoding.UTF8.GetString(buffer, 1, echo.Count - 1));
        var status = await ws.ReceiveAsync(buffer, CancellationToken.None);
        Assert.AreEqual(3, buffer[0]);
        StringAssert.Contains(Encoding.UTF8.GetString(buffer, 1, status.Count - 1), "Success");
        var close = await ws.ReceiveAsync(buffer, CancellationToken.None);
        Assert.AreEqual(WebSocketMessageType.Close, close.MessageType);
    }
}
