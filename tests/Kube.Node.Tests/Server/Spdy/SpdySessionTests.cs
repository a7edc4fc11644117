using System.Buffers.Binary;
using System.Security.Cryptography;
using Kube.Node.Server.Spdy;

namespace Kube.Node.Tests.Server.Spdy;

/// <summary>SpdySession over real loopback sockets: against another SpdySession, and against a hand-driven peer.</summary>
[TestClass]
public sealed class SpdySessionTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [TestMethod]
    public async Task Streams_EchoMoreThanAWindow_BothWays_AndBothSidesTurnFlowControlOn()
    {
        await using var pair = await SpdyTestPeer.ConnectAsync();
        var seen = new List<IReadOnlyDictionary<string, string>>();
        await using var server = new SpdySession(pair.Other, server: true, stream =>
        {
            lock (seen) seen.Add(stream.Headers);
            _ = Task.Run(async () =>
            {
                await stream.CopyToAsync(stream);
                await stream.CloseWriteAsync();
            });
            return true;
        });
        await using var client = new SpdySession(pair.Stream, server: false, onStream: null);
        using var cts = new CancellationTokenSource(Deadline);
        var serverRun = server.RunAsync(cts.Token);
        var clientRun = client.RunAsync(cts.Token);

        for (var i = 0; i < 3; i++)
        {
            var payload = RandomNumberGenerator.GetBytes(300 * 1024 + i);
            var stream = await client.OpenStreamAsync([new("streamType", "data"), new("port", $"{8000 + i}"), new("requestID", $"{i}")], cts.Token);
            Assert.AreEqual((uint)(1 + (2 * i)), stream.Id, "client stream ids are odd and rising");
            var echo = new MemoryStream();
            var reading = stream.CopyToAsync(echo, cts.Token);
            await stream.WriteAsync(payload, cts.Token);
            await stream.CloseWriteAsync(cts.Token);
            await reading;
            CollectionAssert.AreEqual(payload, echo.ToArray(), $"stream {i} echoes all {payload.Length} bytes");
        }

        lock (seen)
        {
            Assert.AreEqual(3, seen.Count);
            for (var i = 0; i < 3; i++)
            {
                Assert.AreEqual($"{8000 + i}", seen[i]["port"], "headers decode across frames with one context");
                Assert.AreEqual("data", seen[i]["streamtype"]);
            }
        }

        Assert.IsTrue(server.PeerFlowControl && client.PeerFlowControl, "each side acknowledged what it read with WINDOW_UPDATE");
        await cts.CancelAsync();
        await Task.WhenAll(serverRun, clientRun);
    }

    [TestMethod]
    public async Task Send_StopsAtThePeersWindow_OnceThePeerKeepsFlowControl_AndGoesOnAfterWindowUpdate()
    {
        await using var peer = await SpdyTestPeer.ConnectAsync();
        var payload = RandomNumberGenerator.GetBytes(200 * 1024);
        var writing = new TaskCompletionSource<Task>();
        await using var session = new SpdySession(peer.Other, server: true, stream =>
        {
            writing.SetResult(Task.Run(async () => await stream.WriteAsync(payload)));
            return true;
        });
        using var cts = new CancellationTokenSource(Deadline);
        var run = session.RunAsync(cts.Token);
        // The peer says it keeps SPDY/3.1 windows (a WINDOW_UPDATE), then opens a stream.
        await peer.SendAsync(SpdyFrameCodec.WindowUpdate(0, 1));
        await peer.SynStreamAsync(1, ("streamtype", "data"));
        var reply = await peer.ReadUntilAsync(f => f.Type == SpdyFrameType.SynReply);
        Assert.AreEqual(1u, reply.StreamId);

        var received = 0;
        while (received < SpdyProtocol.DefaultWindow)
        {
            var frame = await peer.ReadUntilAsync(f => f.IsData);
            received += frame.Payload.Length;
        }

        Assert.AreEqual(SpdyProtocol.DefaultWindow, received, "exactly the stream window (64 KiB) before any WINDOW_UPDATE for it");
        var write = await writing.Task;
        Assert.IsFalse(write.IsCompleted, "the rest waits for the window");

        await peer.SendAsync(SpdyFrameCodec.WindowUpdate(1, (uint)payload.Length));
        await peer.SendAsync(SpdyFrameCodec.WindowUpdate(0, (uint)payload.Length));
        while (received < payload.Length)
        {
            received += (await peer.ReadUntilAsync(f => f.IsData)).Payload.Length;
        }

        Assert.AreEqual(payload.Length, received);
        await write.WaitAsync(Deadline);
        await cts.CancelAsync();
        await run;
    }

    [TestMethod]
    public async Task Receive_AcknowledgesWhatTheConsumerRead_WithStreamAndSessionWindowUpdates()
    {
        await using var peer = await SpdyTestPeer.ConnectAsync();
        var got = new TaskCompletionSource<int>();
        await using var session = new SpdySession(peer.Other, server: true, stream =>
        {
            _ = Task.Run(async () =>
            {
                var total = 0;
                var buffer = new byte[8192];
                int n;
                while ((n = await stream.ReadAsync(buffer)) > 0) total += n;
                got.SetResult(total);
            });
            return true;
        });
        using var cts = new CancellationTokenSource(Deadline);
        var run = session.RunAsync(cts.Token);
        await peer.SynStreamAsync(1, ("streamtype", "data"));
        await peer.ReadUntilAsync(f => f.Type == SpdyFrameType.SynReply);
        await peer.SendAsync(SpdyFrameCodec.Data(1, new byte[20000], fin: false));
        await peer.SendAsync(SpdyFrameCodec.Data(1, new byte[20000], fin: false));
        var streamUpdate = await peer.ReadUntilAsync(f => f.Type == SpdyFrameType.WindowUpdate && f.StreamId == 1);
        Assert.IsTrue(SpdyFrameCodec.SecondWord(streamUpdate.Payload.Span, streamUpdate.Type) >= SpdyProtocol.DefaultWindow / 2);
        var sessionUpdate = await peer.ReadUntilAsync(f => f.Type == SpdyFrameType.WindowUpdate && f.StreamId == 0);
        Assert.IsTrue(SpdyFrameCodec.SecondWord(sessionUpdate.Payload.Span, sessionUpdate.Type) >= SpdyProtocol.DefaultWindow / 2);
        await peer.SendAsync(SpdyFrameCodec.Data(1, [], fin: true));
        Assert.AreEqual(40000, await got.Task.WaitAsync(Deadline), "the FIN ends the reader after all data");
        await cts.CancelAsync();
        await run;
    }

    [TestMethod]
    public async Task PeersPing_IsEchoed_BadStreamIdsAreReset_RefusedStreamsAreReset()
    {
        await using var peer = await SpdyTestPeer.ConnectAsync();
        await using var session = new SpdySession(peer.Other, server: true, stream => stream.Headers.GetValueOrDefault("streamtype") == "data");
        using var cts = new CancellationTokenSource(Deadline);
        var run = session.RunAsync(cts.Token);

        await peer.SendAsync(SpdyFrameCodec.Ping(7));
        var pong = await peer.ReadUntilAsync(f => f.Type == SpdyFrameType.Ping);
        Assert.AreEqual(7u, BinaryPrimitives.ReadUInt32BigEndian(pong.Payload.Span));

        await peer.SynStreamAsync(2, ("streamtype", "data"));
        var rst = await peer.ReadUntilAsync(f => f.Type == SpdyFrameType.RstStream);
        Assert.AreEqual(2u, rst.StreamId);
        Assert.AreEqual((uint)SpdyRstStatus.ProtocolError, SpdyFrameCodec.SecondWord(rst.Payload.Span, rst.Type), "a client's stream id must be odd");

        await peer.SynStreamAsync(3, ("streamtype", "bogus"));
        rst = await peer.ReadUntilAsync(f => f.Type == SpdyFrameType.RstStream);
        Assert.AreEqual(3u, rst.StreamId);
        Assert.AreEqual((uint)SpdyRstStatus.RefusedStream, SpdyFrameCodec.SecondWord(rst.Payload.Span, rst.Type));

        await peer.SynStreamAsync(5, ("streamtype", "data"));
        var reply = await peer.ReadUntilAsync(f => f.Type == SpdyFrameType.SynReply);
        Assert.AreEqual(5u, reply.StreamId, "the header context stayed in step through the refused streams");

        // A broken frame ends the session with GOAWAY PROTOCOL_ERROR.
        await peer.SendAsync(SpdyFrameCodec.Control(SpdyFrameType.Ping, 0, [1, 2]));
        var goAway = await peer.ReadUntilAsync(f => f.Type == SpdyFrameType.GoAway);
        Assert.AreEqual((uint)SpdyGoAwayStatus.ProtocolError, SpdyFrameCodec.SecondWord(goAway.Payload.Span, goAway.Type));
        await run.WaitAsync(Deadline);
    }
}
