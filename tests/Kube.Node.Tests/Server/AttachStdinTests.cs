using System.Net.WebSockets;
using System.Text;
using k8s.Models;
using Kube.Core.Client;

namespace Kube.Node.Tests.Server;

/// <summary>
/// <c>/attach</c> with stdin on a running agent (process runtime), over a real v5.channel.k8s.io WebSocket as kubectl 1.32 speaks it:
/// input reaches the container's standard input, output is what it writes from now on (stdout and stderr on their own channels), stdinOnce ends the input after the first session, a tty
/// container runs on a terminal that resizes; and ephemeral containers (kubectl debug) run once, never restarted.
/// </summary>
[TestClass]
public sealed class AttachStdinTests
{
    private AgentHarness _h = null!;

    [TestInitialize]
    public async Task Init() => _h = await AgentHarness.StartAsync();

    [TestCleanup]
    public async Task Cleanup() => await _h.DisposeAsync();

    private async Task RunPodAsync(string name, V1Container container)
    {
        await _h.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1PodSpec { NodeName = "node-1", RestartPolicy = "Never", Containers = [container] },
        });
        await _h.WaitPodAsync(name, p => p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Running is not null, "ran");
    }

    [TestMethod]
    public async Task Attach_WithStdinOnce_FeedsTheContainer_StdoutOnChannelOneStderrOnTwo_AndClosingStdinEndsIt()
    {
        await RunPodAsync("echo", new V1Container
        {
            Name = "main", Image = "busybox", Stdin = true, StdinOnce = true,
            Command = ["sh", "-c", "while read line; do echo \"got:$line\"; echo \"err:$line\" >&2; done; echo bye"],
        });

        await using var session = await Session.OpenAsync(_h, "echo", "main", "stdin=true&stdout=true&stderr=true");
        await session.SendAsync(0, "hello\n");
        await session.ReadUntilAsync(1, "got:hello\n");
        await session.SendAsync(0, "world\n");
        await session.ReadUntilAsync(1, "got:world\n");
        await session.SendRawAsync([255, 0]); // v5: the client's stdin ended
        var output = await session.ReadUntilAsync(1, "bye\n");
        Assert.AreEqual("got:hello\ngot:world\nbye\n", output, "channel 1 has only the container's stdout");
        Assert.AreEqual("err:hello\nerr:world\n", await session.ReadUntilAsync(2, "err:world\n"), "channel 2 has its stderr");
        var status = await session.ReadStatusAsync();
        StringAssert.Contains(status, "\"status\":\"Success\"");
        var log = await _h.WaitLogAsync("echo", "main", l => l.Contains("bye"));
        StringAssert.Contains(log, "err:world\n", "the log has both streams");

        var pod = await _h.WaitPodAsync("echo", p => p.Status?.ContainerStatuses?[0].State?.Terminated is not null, "ended");
        Assert.AreEqual(0, pod.Status.ContainerStatuses[0].State.Terminated.ExitCode);
    }

    [TestMethod]
    public async Task Attach_WithoutStdinOnce_KeepsTheInputOpen_ForTheNextSession()
    {
        await RunPodAsync("keep", new V1Container
        {
            Name = "main", Image = "busybox", Stdin = true,
            Command = ["sh", "-c", "while read line; do echo \"got:$line\"; done; echo eof"],
        });

        await using (var first = await Session.OpenAsync(_h, "keep", "main", "stdin=true&stdout=true"))
        {
            await first.SendAsync(0, "one\n");
            await first.ReadUntilAsync(1, "got:one\n");
            await first.SendRawAsync([255, 0]);
        }

        await using var second = await Session.OpenAsync(_h, "keep", "main", "stdin=true&stdout=true");
        await second.SendAsync(0, "two\n");
        var output = await second.ReadUntilAsync(1, "got:two\n");
        Assert.IsFalse(output.Contains("eof"), "the input stayed open: " + output);
        Assert.IsNotNull((await _h.Client.GetAsync<V1Pod>("keep", "default")).Status.ContainerStatuses[0].State.Running);
    }

    [TestMethod]
    public async Task Attach_ToATtyContainer_RunsOnItsTerminal_WithTheClientsSize()
    {
        await RunPodAsync("shell", new V1Container { Name = "main", Image = "busybox", Stdin = true, StdinOnce = true, Tty = true, Command = ["sh"] });

        await using var session = await Session.OpenAsync(_h, "shell", "main", "stdin=true&stdout=true&tty=true");
        await session.SendAsync(4, """{"Width":77,"Height":22}""");
        await session.SendAsync(0, "tty; stty size\n");
        var output = await session.ReadUntilAsync(1, "22 77");
        StringAssert.Contains(output, "/dev/pts/");
        await session.SendAsync(0, "exit 3\n");
        StringAssert.Contains(await session.ReadStatusAsync(), "\"status\":\"Success\"");
        var pod = await _h.WaitPodAsync("shell", p => p.Status?.ContainerStatuses?[0].State?.Terminated is not null, "ended");
        Assert.AreEqual(3, pod.Status.ContainerStatuses[0].State.Terminated.ExitCode);
    }

    [TestMethod]
    public async Task Attach_WithoutStdin_OnlyFollowsTheOutput_AndLeavesTheInputAlone()
    {
        await RunPodAsync("watch", new V1Container
        {
            Name = "main", Image = "busybox", Stdin = true, StdinOnce = true,
            Command = ["sh", "-c", "while read line; do echo \"got:$line\"; done; echo bye"],
        });

        await using (var observer = await Session.OpenAsync(_h, "watch", "main", "stdout=true"))
        {
            // An output-only attach must not count as the stdinOnce session: detaching leaves the input open.
            await observer.SendRawAsync([255, 0]);
        }

        await using var writer = await Session.OpenAsync(_h, "watch", "main", "stdin=true&stdout=true");
        await writer.SendAsync(0, "still-open\n");
        await writer.ReadUntilAsync(1, "got:still-open\n");
    }

    [TestMethod]
    public async Task EphemeralContainer_RunsOnce_IsNeverRestarted_AndIsReportedApartFromThePodsContainers()
    {
        var marker = _h.Marker(300);
        await _h.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "target", NamespaceProperty = "default" },
            Spec = new V1PodSpec { NodeName = "node-1", Containers = [new V1Container { Name = "app", Image = "busybox", Command = ["sleep", marker] }] },
        });
        await _h.WaitPodAsync("target", p => p.Status?.Phase == "Running", "ran");

        // As kubectl debug --target=app does it; the debugger sees the target's processes (one host PID namespace).
        var patch = "{\"spec\":{\"ephemeralContainers\":[{\"name\":\"debugger\",\"image\":\"busybox\",\"targetContainerName\":\"app\","
            + "\"command\":[\"sh\",\"-c\",\"ps -eo args | grep -c '^sleep " + marker + "$'; exit 7\"]}]}}";
        await _h.Client.PatchAsync<V1Pod>("target", "default", new KubePatch(KubePatchType.StrategicMerge, patch), "ephemeralcontainers");

        var pod = await _h.WaitPodAsync("target", p => p.Status?.EphemeralContainerStatuses?.FirstOrDefault()?.State?.Terminated is not null, "ran its debugger");
        var debugger = pod.Status.EphemeralContainerStatuses.Single();
        Assert.AreEqual("debugger", debugger.Name);
        Assert.AreEqual(7, debugger.State.Terminated.ExitCode);
        StringAssert.StartsWith(debugger.ContainerID, "process://");
        Assert.AreEqual("busybox", debugger.Image);
        Assert.IsFalse(debugger.Ready);
        Assert.AreEqual(1, pod.Status.ContainerStatuses.Count, "not among the pod's containers");
        Assert.AreEqual("Running", pod.Status.Phase);
        Assert.AreEqual("True", pod.Status.Conditions.Single(c => c.Type == "Ready").Status, "an ephemeral container takes no part in readiness");
        Assert.AreEqual("1\n", await _h.WaitLogAsync("target", "debugger", log => log.Length > 0));

        // The restart policy is Always, yet the exited debugger stays exited: later syncs (a label change) start nothing.
        await _h.Client.PatchAsync<V1Pod>("target", "default", new KubePatch(KubePatchType.Merge, "{\"metadata\":{\"labels\":{\"synced\":\"again\"}}}"));
        await _h.WaitPodAsync("target", p => p.Metadata.Labels?.ContainsKey("synced") == true, "was relabelled");
        var sandbox = (await _h.Agent.Runtime.ListPodSandboxesAsync(CancellationToken.None)).Single(s => s.PodName == "target");
        var runs = (await _h.Agent.Runtime.ListContainersAsync(sandbox.Id, CancellationToken.None)).Where(c => c.Name == "debugger").ToList();
        Assert.AreEqual(1, runs.Count);
        Assert.AreEqual(0, (await _h.Client.GetAsync<V1Pod>("target", "default")).Status.EphemeralContainerStatuses.Single().RestartCount);
    }

    /// <summary>A client of the kubelet's /attach: v5.channel.k8s.io frames in and out.</summary>
    private sealed class Session : IAsyncDisposable
    {
        private readonly ClientWebSocket _ws = new();
        private readonly StringBuilder[] _channels = [new(), new(), new(), new()];
        private readonly byte[] _buffer = new byte[65536];
        private readonly MemoryStream _message = new();
        private bool _closed;

        public static async Task<Session> OpenAsync(AgentHarness h, string pod, string container, string query)
        {
            var s = new Session();
            s._ws.Options.AddSubProtocol("v5.channel.k8s.io");
            await s._ws.ConnectAsync(new Uri($"ws://127.0.0.1:{h.Agent.KubeletPort}/attach/default/{pod}/{container}?{query}"), CancellationToken.None);
            return s;
        }

        public Task SendAsync(byte channel, string text) => SendRawAsync([channel, .. Encoding.UTF8.GetBytes(text)]);

        public Task SendRawAsync(byte[] frame) => _ws.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);

        /// <summary>Reads frames until the channel's text so far contains <paramref name="expected"/>; returns that text.</summary>
        public async Task<string> ReadUntilAsync(int channel, string expected)
        {
            using var timeout = new CancellationTokenSource(AgentHarness.Deadline);
            while (!_channels[channel].ToString().Contains(expected, StringComparison.Ordinal))
            {
                Assert.IsFalse(_closed, $"the session closed before channel {channel} showed \"{expected}\"; it had: {_channels[channel]}; status: {_channels[3]}");
                await ReceiveAsync(timeout.Token);
            }

            return _channels[channel].ToString();
        }

        public async Task<string> ReadStatusAsync()
        {
            using var timeout = new CancellationTokenSource(AgentHarness.Deadline);
            while (_channels[3].Length == 0 && !_closed)
            {
                await ReceiveAsync(timeout.Token);
            }

            return _channels[3].ToString();
        }

        private async Task ReceiveAsync(CancellationToken ct)
        {
            var result = await _ws.ReceiveAsync(_buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                _closed = true;
                return;
            }

            _message.Write(_buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                return;
            }

            var data = _message.ToArray();
            _message.SetLength(0);
            if (data.Length > 0 && data[0] < _channels.Length)
            {
                _channels[data[0]].Append(Encoding.UTF8.GetString(data, 1, data.Length - 1));
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_ws.State == WebSocketState.Open)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await _ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException)
                {
                }
            }

            _ws.Dispose();
        }
    }
}
