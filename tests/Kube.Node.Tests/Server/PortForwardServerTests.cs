using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using k8s.Models;
using Kube.Node.Server;
using Kube.Node.Server.Spdy;

namespace Kube.Node.Tests.Server;

/// <summary>
/// The kubelet server's <c>/portForward/{namespace}/{pod}</c> of a running agent (process runtime), driven by our own SPDY
/// client session over a real WebSocket. The "pod's server" is a listener the test opens on the pod's IP.
/// </summary>
[TestClass]
public sealed class PortForwardServerTests : AgentHarnessTest
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private async Task<string> RunPodAsync(string name)
    {
        var marker = H.Marker(3601);
        await H.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1PodSpec { NodeName = "node-1", Containers = [new V1Container { Name = "main", Image = "busybox", Command = ["sleep", marker] }] },
        });
        var pod = await H.WaitPodAsync(name, p => p.Status?.Phase == "Running" && !string.IsNullOrEmpty(p.Status.PodIP), "ran with an IP");
        return pod.Status.PodIP;
    }

    private async Task<(ClientWebSocket Socket, SpdySession Session, Task Run)> ConnectAsync(string pod, CancellationToken ct)
    {
        var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol(PortForwardHandler.Subprotocol);
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{H.Agent.KubeletPort}/portForward/default/{pod}"), ct);
        Assert.AreEqual(PortForwardHandler.Subprotocol, ws.SubProtocol);
        var session = new SpdySession(WebSocketStream.Create(ws, WebSocketMessageType.Binary, ownsWebSocket: false), server: false, onStream: null);
        return (ws, session, session.RunAsync(ct));
    }

    private static async Task<(SpdyStream Error, SpdyStream Data)> OpenPairAsync(SpdySession session, int port, int requestId, CancellationToken ct)
    {
        var error = await session.OpenStreamAsync([new("streamType", "error"), new("port", $"{port}"), new("requestID", $"{requestId}")], ct);
        await error.CloseWriteAsync(ct);
        var data = await session.OpenStreamAsync([new("streamType", "data"), new("port", $"{port}"), new("requestID", $"{requestId}")], ct);
        return (error, data);
    }

    private static async Task<string> ReadAllAsync(Stream stream, CancellationToken ct)
    {
        var ms = new MemoryStream();
        await stream.CopyToAsync(ms, ct);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    [TestMethod]
    public async Task PortForward_CopiesBytesToThePodsPort_TwoConnections_AndHalfCloses()
    {
        var ip = await RunPodAsync("pf");
        using var listener = new TcpListener(IPAddress.Parse(ip), 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var cts = new CancellationTokenSource(Deadline);
        // The pod's server: reads to the end, answers "pong:" + what it read, closes.
        var serving = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                var conn = await listener.AcceptTcpClientAsync(cts.Token);
                _ = Task.Run(async () =>
                {
                    using (conn)
                    {
                        var text = await ReadAllAsync(conn.GetStream(), cts.Token);
                        await conn.GetStream().WriteAsync(Encoding.UTF8.GetBytes("pong:" + text), cts.Token);
                    }
                });
            }
        });

        var (ws, session, run) = await ConnectAsync("pf", cts.Token);
        using (ws)
        await using (session)
        {
            var first = await OpenPairAsync(session, port, 0, cts.Token);
            var second = await OpenPairAsync(session, port, 1, cts.Token);
            foreach (var (pair, word) in new[] { (first, "one"), (second, "two") })
            {
                await pair.Data.WriteAsync(Encoding.UTF8.GetBytes(word), cts.Token);
                await pair.Data.CloseWriteAsync(cts.Token);
            }

            Assert.AreEqual("pong:one", await ReadAllAsync(first.Data, cts.Token), "the pod saw the client's half close and answered");
            Assert.AreEqual("pong:two", await ReadAllAsync(second.Data, cts.Token));
            Assert.AreEqual("", await ReadAllAsync(first.Error, cts.Token), "no error; the kubelet closed the error stream");
            Assert.AreEqual("", await ReadAllAsync(second.Error, cts.Token));
            await serving;
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
            await run.WaitAsync(cts.Token);
        }
    }

    [TestMethod]
    public async Task PortForward_ToAPortNobodyListensOn_WritesTheDialErrorOnTheErrorStream()
    {
        var ip = await RunPodAsync("pf-refused");
        int port;
        using (var probe = new TcpListener(IPAddress.Parse(ip), 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        using var cts = new CancellationTokenSource(Deadline);
        var (ws, session, _) = await ConnectAsync("pf-refused", cts.Token);
        using (ws)
        await using (session)
        {
            var (error, data) = await OpenPairAsync(session, port, 0, cts.Token);
            var message = await ReadAllAsync(error, cts.Token);
            StringAssert.StartsWith(message, $"error forwarding port {port} to pod pf-refused_default, uid ");
            StringAssert.Contains(message, $"dial tcp {ip}:{port}: connect: connection refused");
            Assert.AreEqual("", await ReadAllAsync(data, cts.Token), "the data stream ends too");
        }
    }

    [TestMethod]
    public async Task PortForward_WithoutWebSocket_Or_ForAnUnknownPod_IsRefused()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{H.Agent.KubeletPort}/"), Timeout = Deadline };
        var plain = await http.GetAsync("portForward/default/nope");
        Assert.AreEqual(HttpStatusCode.BadRequest, plain.StatusCode);
        StringAssert.Contains(await plain.Content.ReadAsStringAsync(), PortForwardHandler.Subprotocol);

        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol(PortForwardHandler.Subprotocol);
        var ex = await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(new Uri($"ws://127.0.0.1:{H.Agent.KubeletPort}/portForward/default/nope"), CancellationToken.None));
        StringAssert.Contains(ex.Message, "404");
    }
}
