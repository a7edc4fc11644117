using System.Buffers.Binary;
using Kube.Node.Server.Spdy;

namespace Kube.Node.Tests.Server.Spdy;

[TestClass]
public sealed class SpdyFrameCodecTests
{
    private static async Task<SpdyFrame> ReadOneAsync(byte[] bytes) =>
        (await SpdyFrameCodec.ReadAsync(new MemoryStream(bytes), SpdyProtocol.MaxFrameLength, CancellationToken.None))!.Value;

    [TestMethod]
    public async Task DataFrame_RoundTrips_WithFin()
    {
        var frame = await ReadOneAsync(SpdyFrameCodec.Data(5, "hello"u8, fin: true));
        Assert.IsTrue(frame.IsData);
        Assert.AreEqual(5u, frame.StreamId);
        Assert.IsTrue(frame.Fin);
        Assert.AreEqual("hello", System.Text.Encoding.ASCII.GetString(frame.Payload.Span));
        var empty = await ReadOneAsync(SpdyFrameCodec.Data(7, [], fin: false));
        Assert.IsFalse(empty.Fin);
        Assert.AreEqual(0, empty.Payload.Length);
    }

    [TestMethod]
    public async Task ControlFrames_RoundTrip()
    {
        var bytes = SpdyFrameCodec.SynStream(3, 0, 2, SpdyProtocol.FlagFin, [1, 2, 3]);
        Assert.AreEqual(0x80, bytes[0], "control bit");
        Assert.AreEqual(3, bytes[1], "version 3");
        var syn = await ReadOneAsync(bytes);
        Assert.AreEqual(SpdyFrameType.SynStream, syn.Type);
        Assert.AreEqual(3u, syn.StreamId);
        Assert.IsTrue(syn.Fin);
        Assert.AreEqual(13, syn.Payload.Length);
        Assert.AreEqual(2 << 5, syn.Payload.Span[8], "priority in the top 3 bits");

        var rst = await ReadOneAsync(SpdyFrameCodec.RstStream(9, SpdyRstStatus.Cancel));
        Assert.AreEqual(SpdyFrameType.RstStream, rst.Type);
        Assert.AreEqual(9u, rst.StreamId);
        Assert.AreEqual((uint)SpdyRstStatus.Cancel, SpdyFrameCodec.SecondWord(rst.Payload.Span, rst.Type));

        var window = await ReadOneAsync(SpdyFrameCodec.WindowUpdate(0, 32768));
        Assert.AreEqual(SpdyFrameType.WindowUpdate, window.Type);
        Assert.AreEqual(0u, window.StreamId, "stream 0 is the session window");
        Assert.AreEqual(32768u, SpdyFrameCodec.SecondWord(window.Payload.Span, window.Type));

        var settings = await ReadOneAsync(SpdyFrameCodec.Settings([(SpdyProtocol.SettingsInitialWindowSize, 1024), (SpdyProtocol.SettingsMaxConcurrentStreams, 100)]));
        CollectionAssert.AreEqual(new[] { (SpdyProtocol.SettingsInitialWindowSize, 1024u), (SpdyProtocol.SettingsMaxConcurrentStreams, 100u) }, SpdyFrameCodec.ReadSettings(settings.Payload.Span));

        var ping = await ReadOneAsync(SpdyFrameCodec.Ping(0xdeadbeef));
        Assert.AreEqual(0xdeadbeefu, BinaryPrimitives.ReadUInt32BigEndian(ping.Payload.Span));

        var goAway = await ReadOneAsync(SpdyFrameCodec.GoAway(11, SpdyGoAwayStatus.ProtocolError));
        Assert.AreEqual(SpdyFrameType.GoAway, goAway.Type);
        Assert.AreEqual(11u, BinaryPrimitives.ReadUInt32BigEndian(goAway.Payload.Span));
    }

    [TestMethod]
    public async Task Read_EndsCleanlyBetweenFrames_AndRejectsBadFrames()
    {
        Assert.IsNull(await SpdyFrameCodec.ReadAsync(new MemoryStream(), 1024, CancellationToken.None));

        var v2 = SpdyFrameCodec.Ping(1);
        v2[1] = 2;
        await Assert.ThrowsExactlyAsync<InvalidDataException>(() => ReadOneAsync(v2));

        var big = SpdyFrameCodec.Data(1, new byte[2048], fin: false);
        await Assert.ThrowsExactlyAsync<InvalidDataException>(async () => await SpdyFrameCodec.ReadAsync(new MemoryStream(big), 1024, CancellationToken.None));

        var cut = SpdyFrameCodec.Data(1, new byte[100], fin: false)[..50];
        await Assert.ThrowsExactlyAsync<EndOfStreamException>(() => ReadOneAsync(cut));

        await Assert.ThrowsExactlyAsync<InvalidDataException>(() => ReadOneAsync(SpdyFrameCodec.Control(SpdyFrameType.RstStream, 0, [0, 0])), "too short for its stream id");
    }
}
