using System.Net;
using System.Net.WebSockets;
using System.Text;
using k8s.Models;

namespace Kube.Node.Tests.Server;

/// <summary>The kubelet server of a running agent, hit directly with HttpClient and ClientWebSocket.</summary>
[TestClass]
public sealed class KubeletServerTests
{
    private AgentHarness _h = null!;
    private HttpClient _http = null!;

    [TestInitialize]
    public async Task Init()
    {
        _h = await AgentHarness.StartAsync(o => o.BackoffInitial = TimeSpan.FromMilliseconds(200));
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_h.Agent.KubeletPort}/"), Timeout = TimeSpan.FromSeconds(20) };
    }

    [TestCleanup]
    public async Task Cleanup()
    {
        _http.Dispose();
        await _h.DisposeAsync();
    }

    private async Task CreatePodAsync(string name, string script, string restartPolicy = "Always", string volumePath = "")
    {
        var pod = new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                NodeName = "node-1",
                RestartPolicy = restartPolicy,
                Containers = [new V1Container { Name = "main", Image = "busybox", Command = ["sh", "-c", script], Env = [new V1EnvVar { Name = "WHO", Value = "container-env" }] }],
            },
        };
        if (volumePath.Length > 0)
        {
            pod.Spec.Volumes = [new V1Volume { Name = "scratch", EmptyDir = new V1EmptyDirVolumeSource() }];
            pod.Spec.Containers[0].VolumeMounts = [new V1VolumeMount { Name = "scratch", MountPath = volumePath }];
        }

        await _h.Client.CreateAsync(pod);
    }

    [TestMethod]
    public async Task Node_AdvertisesTheServersPort_AndHealthzAnswers()
    {
        Assert.IsTrue(await Wait.PollAsync(async () => (await _h.Client.GetAsync<V1Node>("node-1")).Status?.DaemonEndpoints?.KubeletEndpoint?.Port == _h.Agent.KubeletPort,
            AgentHarness.Deadline), "status.daemonEndpoints.kubeletEndpoint.port is the server's port");
        Assert.AreEqual("ok", await _http.GetStringAsync("healthz"));
    }

    [TestMethod]
    public async Task ContainerLogs_Tail_Previous_LimitBytes_Timestamps_AndNotFound()
    {
        var marker = _h.Marker(3655);
        await CreatePodAsync("logs", $"echo line-1; echo line-2; echo line-3; if [ -f restarted ]; then exec sleep {marker}; fi; touch restarted; exit 1");
        await _h.WaitPodAsync("logs", p => p.Status?.ContainerStatuses?.SingleOrDefault()?.RestartCount >= 1 && p.Status.ContainerStatuses[0].State?.Running is not null, "restarted");
        await _h.WaitLogAsync("logs", "main", l => l.Contains("line-3", StringComparison.Ordinal));

        Assert.AreEqual("line-1\nline-2\nline-3\n", await _http.GetStringAsync("containerLogs/default/logs/main"));
        Assert.AreEqual("line-2\nline-3\n", await _http.GetStringAsync("containerLogs/default/logs/main?tailLines=2"));
        Assert.AreEqual("line-1\nline-2\nline-3\n", await _http.GetStringAsync("containerLogs/default/logs/main?previous=true"), "the previous run's log");
        Assert.AreEqual("line-1", await _http.GetStringAsync("containerLogs/default/logs/main?limitBytes=6"));
        var stamped = await _http.GetStringAsync("containerLogs/default/logs/main?timestamps=true&tailLines=1");
        StringAssert.Matches(stamped, new System.Text.RegularExpressions.Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line-3\n$"));
        var missing = await _http.GetAsync("containerLogs/default/nope/main");
        Assert.AreEqual(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [TestMethod]
    public async Task ContainerLogs_Follow_StreamsNewLines_AndEndsWhenTheContainerExits()
    {
        await CreatePodAsync("follow", "echo first; while [ ! -f ./go ]; do sleep 0.05; done; echo second; exit 0", restartPolicy: "Never");
        await _h.WaitLogAsync("follow", "main", l => l.Contains("first", StringComparison.Ordinal));
        var sandbox = (await _h.Agent.Runtime.ListPodSandboxesAsync(CancellationToken.None)).Single(s => s.PodName == "follow");

        using var response = await _http.GetAsync("containerLogs/default/follow/main?follow=true", HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        Assert.AreEqual("first", await reader.ReadLineAsync());
        await File.WriteAllTextAsync(Path.Combine(sandbox.WorkingDirectory!, "go"), "go\n");
        Assert.AreEqual("second", await reader.ReadLineAsync().WaitAsync(AgentHarness.Deadline));
        Assert.IsNull(await reader.ReadLineAsync().WaitAsync(AgentHarness.Deadline), "the stream ends once the container exited");
    }

    private async Task<(string Stdout, string Stderr, string Status)> ExecAsync(string pod, string query, string protocol = "v5.channel.k8s.io", string? stdin = null)
    {
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol(protocol);
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_h.Agent.KubeletPort}/exec/default/{pod}/main?{query}"), CancellationToken.None);
        Assert.AreEqual(protocol, ws.SubProtocol);
        if (stdin is not null)
        {
            await ws.SendAsync(new byte[] { 0 }.Concat(Encoding.UTF8.GetBytes(stdin)).ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
            await ws.SendAsync(new byte[] { 255, 0 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        }

        var (frames, status) = await ChannelFrames.ReadToCloseAsync(ws, AgentHarness.Deadline);
        return (frames.Text(1), frames.Text(2), status);
    }

    [TestMethod]
    public async Task Exec_OverWebSocket_RunsInTheContainersMountNamespaceAndEnv_ReportsExitCodes_AndTakesStdin()
    {
        var marker = _h.Marker(3666);
        await CreatePodAsync("exec", $"echo from-volume > /etc/kube-exec-vol/file; exec sleep {marker}", volumePath: "/etc/kube-exec-vol");
        await _h.WaitPodAsync("exec", p => p.Status?.Phase == "Running", "ran");
        Assert.IsTrue(await Wait.PollAsync(() => ProcessTable.Find("sleep " + marker).Any(pid => File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("sleep\0", StringComparison.Ordinal)),
            AgentHarness.Deadline), "the container's script wrote its file and exec'd sleep");

        var (stdout, stderr, status) = await ExecAsync("exec", "command=sh&command=-c&command=cat%20/etc/kube-exec-vol/file%3B%20echo%20%24WHO%3B%20echo%20oops%20%3E%262&stdout=true&stderr=true");
        Assert.AreEqual("from-volume\ncontainer-env\n", stdout);
        Assert.AreEqual("oops\n", stderr);
        StringAssert.Contains(status, "\"status\":\"Success\"");

        (_, _, status) = await ExecAsync("exec", "command=sh&command=-c&command=exit%203&stdout=true", protocol: "v4.channel.k8s.io");
        StringAssert.Contains(status, "\"reason\":\"NonZeroExitCode\"");
        StringAssert.Contains(status, "{\"reason\":\"ExitCode\",\"message\":\"3\"}");

        (stdout, _, _) = await ExecAsync("exec", "command=cat&stdin=true&stdout=true", stdin: "typed input\n");
        Assert.AreEqual("typed input\n", stdout);
        Assert.IsFalse(Path.Exists("/etc/kube-exec-vol"));
    }

    [TestMethod]
    public async Task Exec_WithoutWebSocket_IsRefusedWithAClearMessage()
    {
        var response = await _http.GetAsync("exec/default/x/main?command=true");
        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
        StringAssert.Contains(await response.Content.ReadAsStringAsync(), "WebSocket");
    }
}
