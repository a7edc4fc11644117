using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Kube.Node.Tests.Server;

/// <summary><c>/exec</c> with <c>tty=true</c> on a running agent's kubelet server, over a real WebSocket as kubectl 1.32 speaks it (v5.channel.k8s.io).</summary>
[TestClass]
public sealed class ExecTtyTests
{
    private AgentHarness _h = null!;

    [TestInitialize]
    public async Task Init() => _h = await AgentHarness.StartAsync();

    [TestCleanup]
    public async Task Cleanup() => await _h.DisposeAsync();

    [TestMethod]
    public async Task Exec_WithTty_RunsOnATerminalOfTheClientsSize_InTheContainersMountNamespace_WithoutStderr_AndReportsTheExitCode()
    {
        var marker = TestUtil.UniqueSeconds(300);
        await _h.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "tty", NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                NodeName = "node-1",
                Volumes = [new V1Volume { Name = "scratch", EmptyDir = new V1EmptyDirVolumeSource() }],
                Containers = [new V1Container
                {
                    Name = "main", Image = "busybox", Command = ["sh", "-c", $"echo in-volume > /etc/kube-tty-vol/file; exec sleep {marker}"],
                    VolumeMounts = [new V1VolumeMount { Name = "scratch", MountPath = "/etc/kube-tty-vol" }],
                }],
            },
        });
        await _h.WaitPodAsync("tty", p => p.Status?.Phase == "Running", "ran");
        Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find(marker).Count > 0, AgentHarness.Deadline), "the container exec'd sleep");

        var script = "tty; stty size; cat /etc/kube-tty-vol/file; echo oops >&2; exit 4";
        var (frames, status) = await ExecAsync($"command=sh&command=-c&command={Uri.EscapeDataString(script)}&stdin=true&stdout=true&stderr=true&tty=true",
            """{"Width":91,"Height":33}""");

        var stdout = string.Concat(frames.Where(f => f.Channel == 1).Select(f => f.Text));
        StringAssert.Matches(stdout, new Regex(@"^/dev/pts/\d+\r\n33 91\r\nin-volume\r\noops\r\n$"));
        Assert.IsFalse(frames.Any(f => f.Channel == 2), "with a tty, stderr is on the terminal (stdout), never channel 2");
        StringAssert.Contains(status, "\"reason\":\"ExitCode\",\"message\":\"4\"");
    }

    [TestMethod]
    public async Task Exec_WithTty_AndAMalformedResize_StillRuns_OnA0x0Terminal()
    {
        var marker = TestUtil.UniqueSeconds(300);
        await _h.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "tty0", NamespaceProperty = "default" },
            Spec = new V1PodSpec { NodeName = "node-1", Containers = [new V1Container { Name = "main", Image = "busybox", Command = ["sleep", marker] }] },
        });
        await _h.WaitPodAsync("tty0", p => p.Status?.Phase == "Running", "ran");

        var (frames, status) = await ExecAsync("command=stty&command=size&stdout=true&tty=true", "{not json", pod: "tty0");

        Assert.AreEqual("0 0\r\n", string.Concat(frames.Where(f => f.Channel == 1).Select(f => f.Text)));
        StringAssert.Contains(status, "\"status\":\"Success\"");
    }

    private async Task<(List<(byte Channel, string Text)> Frames, string Status)> ExecAsync(string query, string resize, string pod = "tty")
    {
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("v5.channel.k8s.io");
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_h.Agent.KubeletPort}/exec/default/{pod}/main?{query}"), CancellationToken.None);
        await ws.SendAsync(new byte[] { 4 }.Concat(Encoding.UTF8.GetBytes(resize)).ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
        var frames = new List<(byte, string)>();
        var status = "";
        var buffer = new byte[65536];
        var message = new MemoryStream();
        using var timeout = new CancellationTokenSource(AgentHarness.Deadline);
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                break;
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

        return (frames, status);
    }
}
