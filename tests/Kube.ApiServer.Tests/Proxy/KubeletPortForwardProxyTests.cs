using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Kube.ApiServer.Tests.Proxy;

/// <summary>
/// pods/portforward relayed to a node's kubelet endpoint, as kubectl 1.32 asks for it: a WebSocket with the
/// <c>SPDY/3.1+portforward.k8s.io</c> subprotocol, or a plain <c>Upgrade: SPDY/3.1</c>. The fake kubelet here takes the tunnel
/// WebSocket (SPDY-3.1+portforward.k8s.io) and answers each message with "k:" + the message, so the relay shows both ways.
/// </summary>
[TestClass]
public sealed class KubeletPortForwardProxyTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private static TestCluster _cluster = null!;
    private static FakeKubelet _kubelet = null!;

    [ClassInitialize]
    public static async Task Init(TestContext _)
    {
        _cluster = await TestCluster.StartAsync();
        _kubelet = await FakeKubelet.StartAsync(FakeKubeletAsync);
        await _kubelet.RegisterNodeAsync(_cluster, "pf-node");
        var r = await _cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("pf-pod", nodeName: "pf-node"));
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
    }

    [ClassCleanup]
    public static async Task Cleanup()
    {
        await _kubelet.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private static async Task FakeKubeletAsync(HttpContext ctx)
    {
        if (ctx.Request.Path.Value != "/portForward/default/pf-pod" || !ctx.WebSockets.WebSocketRequestedProtocols.Contains("SPDY-3.1+portforward.k8s.io"))
        {
            ctx.Response.StatusCode = 404;
            return;
        }

        using var ws = await ctx.WebSockets.AcceptWebSocketAsync("SPDY-3.1+portforward.k8s.io");
        var buffer = new byte[4096];
        for (var i = 0; i < 100; i++)
        {
            var r = await ws.ReceiveAsync(buffer, ctx.RequestAborted);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
                return;
            }

            await ws.SendAsync(Encoding.ASCII.GetBytes("k:" + Encoding.ASCII.GetString(buffer, 0, r.Count)), WebSocketMessageType.Binary, true, ctx.RequestAborted);
        }
    }

    /// <summary>Sends a raw HTTP/1.1 request and reads the response head (status line and headers) without reading past it.</summary>
    private static async Task<(TcpClient Client, NetworkStream Stream, string Head)> RawAsync(string request)
    {
        var client = new TcpClient();
        var baseAddress = _cluster.Http.BaseAddress!;
        await client.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Replace("HOST", $"{baseAddress.Host}:{baseAddress.Port}")));
        var head = new StringBuilder();
        var one = new byte[1];
        using var cts = new CancellationTokenSource(Deadline);
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && head.Length < 16384)
        {
            if (await stream.ReadAsync(one, cts.Token) == 0) break;
            head.Append((char)one[0]);
        }

        return (client, stream, head.ToString());
    }

    private static async Task<string> ReceiveTextAsync(WebSocket ws)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(Deadline);
        var r = await ws.ReceiveAsync(buffer, cts.Token);
        return Encoding.ASCII.GetString(buffer, 0, r.Count);
    }

    [TestMethod]
    public async Task WebSocket_WithKubectlsSubprotocol_IsAccepted_AndRelayedToTheKubelet()
    {
        var (client, stream, head) = await RawAsync(
            "GET /api/v1/namespaces/default/pods/pf-pod/portforward HTTP/1.1\r\nHost: HOST\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io\r\n\r\n");
        using (client)
        {
            StringAssert.StartsWith(head, "HTTP/1.1 101");
            StringAssert.Contains(head, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC 6455's worked example");
            StringAssert.Contains(head, "Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io");
            using var ws = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false });
            await ws.SendAsync("spdy-bytes"u8.ToArray(), WebSocketMessageType.Binary, true, default);
            Assert.AreEqual("k:spdy-bytes", await ReceiveTextAsync(ws));
            await ws.SendAsync("more"u8.ToArray(), WebSocketMessageType.Binary, true, default);
            Assert.AreEqual("k:more", await ReceiveTextAsync(ws));
        }
    }

    [TestMethod]
    public async Task SpdyUpgrade_IsAnswered101_AndItsRawBytesGoThroughTheKubeletsWebSocket()
    {
        var (client, stream, head) = await RawAsync(
            "POST /api/v1/namespaces/default/pods/pf-pod/portforward HTTP/1.1\r\nHost: HOST\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
            "X-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n");
        using (client)
        {
            StringAssert.StartsWith(head, "HTTP/1.1 101");
            StringAssert.Contains(head, "X-Stream-Protocol-Version: portforward.k8s.io");
            StringAssert.Contains(head, "Upgrade: SPDY/3.1");
            await stream.WriteAsync("raw"u8.ToArray());
            var buffer = new byte[64];
            using var cts = new CancellationTokenSource(Deadline);
            var n = await stream.ReadAtLeastAsync(buffer, 5, throwOnEndOfStream: false, cts.Token);
            Assert.AreEqual("k:raw", Encoding.ASCII.GetString(buffer, 0, n));
        }
    }

    [TestMethod]
    public async Task NoUpgrade_OrAnotherSubprotocol_OrAnotherStreamProtocol_Is400Status()
    {
        var r = await _cluster.GetAsync("/api/v1/namespaces/default/pods/pf-pod/portforward");
        Assert.AreEqual(400, r.Code);
        Assert.AreEqual("BadRequest", r.Body!["reason"]!.GetValue<string>());
        StringAssert.Contains(r.Body["message"]!.GetValue<string>(), "Upgrade request required");

        var (client, _, head) = await RawAsync(
            "GET /api/v1/namespaces/default/pods/pf-pod/portforward HTTP/1.1\r\nHost: HOST\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n");
        using (client)
        {
            StringAssert.StartsWith(head, "HTTP/1.1 400");
        }

        (client, _, head) = await RawAsync(
            "POST /api/v1/namespaces/default/pods/pf-pod/portforward HTTP/1.1\r\nHost: HOST\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
            "X-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n\r\n");
        using (client)
        {
            StringAssert.StartsWith(head, "HTTP/1.1 400");
        }

        r = await _cluster.GetAsync("/api/v1/namespaces/default/pods/missing/portforward");
        Assert.AreEqual(404, r.Code);
    }
}
