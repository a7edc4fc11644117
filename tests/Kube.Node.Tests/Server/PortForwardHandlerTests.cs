using System.Text;
using Kube.Node.Runtime.Simulated;
using Kube.Node.Server;
using Kube.Node.Server.Spdy;
using Kube.Node.Tests.Server.Spdy;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests.Server;

/// <summary>The port-forward protocol handler on a real loopback connection, with our SPDY client session on the other end.</summary>
[TestClass]
public sealed class PortForwardHandlerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static async Task<string> ReadAllAsync(Stream stream, CancellationToken ct)
    {
        var ms = new MemoryStream();
        await stream.CopyToAsync(ms, ct);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static KeyValuePair<string, string>[] Headers(string type, string port, string requestId = "0") =>
        [new("streamType", type), new("port", port), new("requestID", requestId)];

    [TestMethod]
    public async Task SimulatedRuntime_AnswersWithAClearErrorOnTheErrorStream()
    {
        await using var pair = await SpdyTestPeer.ConnectAsync();
        using var cts = new CancellationTokenSource(Deadline);
        var handler = new PortForwardHandler(new SimulatedRuntime(), TimeProvider.System, NullLogger.Instance);
        var serving = handler.RunAsync(pair.Other, new PortForwardTarget("sim", "default", "uid-1", "127.1.0.2"), cts.Token);
        await using var client = new SpdySession(pair.Stream, server: false, onStream: null);
        var run = client.RunAsync(cts.Token);

        var error = await client.OpenStreamAsync(Headers("error", "80"), cts.Token);
        await error.CloseWriteAsync(cts.Token);
        var data = await client.OpenStreamAsync(Headers("data", "80"), cts.Token);
        Assert.AreEqual("error forwarding port 80 to pod sim_default, uid uid-1: the simulated runtime runs no processes: nothing listens on port 80",
            await ReadAllAsync(error, cts.Token));
        Assert.AreEqual("", await ReadAllAsync(data, cts.Token));
        await cts.CancelAsync();
        await Task.WhenAll(serving, run);
    }

    [TestMethod]
    public async Task LonelyErrorStream_GetsTimedOutWaitingForStreams_AndBadHeadersAreRefused()
    {
        await using var pair = await SpdyTestPeer.ConnectAsync();
        using var cts = new CancellationTokenSource(Deadline);
        var handler = new PortForwardHandler(new SimulatedRuntime(), TimeProvider.System, NullLogger.Instance) { StreamCreationTimeout = TimeSpan.FromMilliseconds(300) };
        var serving = handler.RunAsync(pair.Other, new PortForwardTarget("sim", "default", "uid-1", null), cts.Token);
        await using var client = new SpdySession(pair.Stream, server: false, onStream: null);
        var run = client.RunAsync(cts.Token);

        await Assert.ThrowsAsync<IOException>(() => client.OpenStreamAsync(Headers("stdin", "80"), cts.Token), "unknown streamType");
        await Assert.ThrowsAsync<IOException>(() => client.OpenStreamAsync(Headers("data", "http"), cts.Token), "a port must be a number");
        await Assert.ThrowsAsync<IOException>(() => client.OpenStreamAsync(Headers("data", "70000"), cts.Token), "a port must fit 16 bits");

        var error = await client.OpenStreamAsync(Headers("error", "80", "9"), cts.Token);
        Assert.AreEqual("timed out waiting for streams", await ReadAllAsync(error, cts.Token));
        await cts.CancelAsync();
        await Task.WhenAll(serving, run);
    }
}
