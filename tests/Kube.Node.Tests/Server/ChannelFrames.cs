using System.Net.WebSockets;
using System.Text;

namespace Kube.Node.Tests.Server;

/// <summary>The client side of the kubelet's channel WebSocket (v4/v5.channel.k8s.io): each message is a channel byte and its data.</summary>
internal static class ChannelFrames
{
    /// <summary>
    /// Reads messages until the server closes the socket: the data frames (channel 1 stdout, 2 stderr) in order, and the
    /// status JSON of channel 3. Fails the test if the server does not close within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<(List<(byte Channel, string Text)> Frames, string Status)> ReadToCloseAsync(ClientWebSocket ws, TimeSpan timeout)
    {
        var frames = new List<(byte, string)>();
        var status = "";
        var buffer = new byte[65536];
        var message = new MemoryStream();
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer, deadline.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                return (frames, status);
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            var data = message.ToArray();
            message.SetLength(0);
            var text = Encoding.UTF8.GetString(data, 1, data.Length - 1);
            if (data[0] == 3)
            {
                status = text;
            }
            else
            {
                frames.Add((data[0], text));
            }
        }
    }

    /// <summary>The text of <paramref name="channel"/>'s frames, joined.</summary>
    public static string Text(this List<(byte Channel, string Text)> frames, byte channel) =>
        string.Concat(frames.Where(f => f.Channel == channel).Select(f => f.Text));
}
