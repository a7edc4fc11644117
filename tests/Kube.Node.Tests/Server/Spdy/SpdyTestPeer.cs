using System.Net;
using System.Net.Sockets;
using Kube.Node.Server.Spdy;

namespace Kube.Node.Tests.Server.Spdy;

/// <summary>A hand-driven SPDY client on one end of a real loopback connection: writes frames it builds and reads frames one by one.</summary>
internal sealed class SpdyTestPeer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TcpClient _client;
    private readonly TcpClient _server;
    private readonly SpdyHeaderCompressor _compressor = new();

    private SpdyTestPeer(TcpClient client, TcpClient server)
    {
        _client = client;
        _server = server;
    }

    /// <summary>The peer's end.</summary>
    public NetworkStream Stream => _client.GetStream();

    /// <summary>The other end, for the session under test.</summary>
    public NetworkStream Other => _server.GetStream();

    public SpdyHeaderDecompressor Decompressor { get; } = new();

    public static async Task<SpdyTestPeer> ConnectAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        var connect = client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var server = await listener.AcceptTcpClientAsync();
        await connect;
        return new SpdyTestPeer(client, server);
    }

    public Task SendAsync(byte[] frame) => Stream.WriteAsync(frame).AsTask();

    public Task SynStreamAsync(uint id, params (string Name, string Value)[] headers) =>
        SendAsync(SpdyFrameCodec.SynStream(id, 0, 0, 0, _compressor.Compress(headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value)).ToList())));

    public async Task<SpdyFrame> ReadAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await SpdyFrameCodec.ReadAsync(Stream, SpdyProtocol.MaxFrameLength, cts.Token) ?? throw new EndOfStreamException("the session closed the connection");
    }

    /// <summary>Reads frames until one matches, skipping others; bounded by count and time.</summary>
    public async Task<SpdyFrame> ReadUntilAsync(Func<SpdyFrame, bool> match, int maxFrames = 200)
    {
        for (var i = 0; i < maxFrames; i++)
        {
            var frame = await ReadAsync();
            if (frame.Type is SpdyFrameType.SynReply or SpdyFrameType.Headers)
            {
                Decompressor.Decompress(frame.Payload.Span[4..]);
            }

            if (match(frame))
            {
                return frame;
            }
        }

        throw new AssertFailedException($"no matching frame within {maxFrames} frames");
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        _server.Dispose();
        _compressor.Dispose();
        Decompressor.Dispose();
        await Task.CompletedTask;
    }
}
