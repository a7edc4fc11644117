using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Kube.Node.Tests.Server;

/// <summary><c>/exec</c> with <c>tty=true</c> on a running agent's kubelet server, over a real WebSocket as kubectl 1.32 speaks it (v5.channel.k8s.io).</summary>
[TestClass]
public sealed class ExecTtyTests : AgentHarnessTest
{
    [TestMethod]
    public async Task Exec_WithTty_RunsOnATerminalOfTheClientsSize_InTheContainersMountNamespace_WithoutStderr_AndReportsTheExitCode()
    {
        var marker = TestUtil.UniqueSeconds(300);
        await H.RunPodAsync("tty", new V1PodSpec
        {
            Volumes = [new V1Volume { Name = "scratch", EmptyDir = new V1EmptyDirVolumeSource() }],
            Containers = [new V1Container
            {
                Name = "main", Image = "busybox", Command = ["sh", "-c", $"echo in-volume > /etc/kube-tty-vol/file; exec sleep {marker}"],
                VolumeMounts = [new V1VolumeMount { Name = "scratch", MountPath = "/etc/kube-tty-vol" }],
            }],
        });
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
        await H.RunPodAsync("tty0", new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox", Command = ["sleep", marker] }] });

        var (frames, status) = await ExecAsync("command=stty&command=size&stdout=true&tty=true", "{not json", pod: "tty0");

        Assert.AreEqual("0 0\r\n", string.Concat(frames.Where(f => f.Channel == 1).Select(f => f.Text)));
        StringAssert.Contains(status, "\"status\":\"Success\"");
    }

    private async Task<(List<(byte Channel, string Text)> Frames, string Status)> ExecAsync(string query, string resize, string pod = "tty")
    {
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("v5.channel.k8s.io");
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{H.Agent.KubeletPort}/exec/default/{pod}/main?{query}"), CancellationToken.None);
        await ws.SendAsync(new byte[] { 4 }.Concat(Encoding.UTF8.GetBytes(resize)).ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
        return await ChannelFrames.ReadToCloseAsync(ws, AgentHarness.Deadline);
    }
}
