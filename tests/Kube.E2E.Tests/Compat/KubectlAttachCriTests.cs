using Kube.E2E.Tests.Infrastructure;
using Kube.Testing.Containerd;

namespace Kube.E2E.Tests.Compat;

/// <summary>
/// kubectl 1.32's <c>attach</c> and <c>run -i</c> against <c>kube-host up --runtime cri</c> over a containerd of the test's own
/// (issue 4): the kubelet relays pods/attach to containerd's streaming server, as upstream's does, so the container's stdin, its
/// stdout and stderr (apart), its terminal's size and its end all work on real containers.
/// </summary>
[TestClass]
public sealed class KubectlAttachCriTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);
    private static PrivateContainerd? _containerd;
    private static KubectlHost? _cluster;
    private static string? _skip;

    private static Kubectl K => (_cluster ?? throw new InvalidOperationException("the cluster did not start")).Kubectl;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        if (Kubectl.Path is null) return;
        _skip = PrivateContainerd.MissingTool();
        if (_skip is not null) return;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        _containerd = await PrivateContainerd.StartAsync(cts.Token);
        _cluster = await KubectlHost.StartAsync("attach-cri", $"--runtime cri --cri-socket {_containerd.Socket}");
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        await KubectlHost.StopAsync(_cluster);
        if (_containerd is not null) await _containerd.DisposeAsync();
    }

    [TestInitialize]
    public void RequireTools()
    {
        Kubectl.RequireInstalled();
        if (_skip is not null) Assert.Inconclusive(_skip);
    }

    private static async Task RunningAsync(string name, string container)
    {
        await K.OkAsync($"apply -f {await _cluster!.WriteFileAsync(name + ".yaml", $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: {{name}}}
            spec:
              restartPolicy: Never
              containers:
              - name: c
                image: {{PrivateContainerd.BusyboxImage}}
            {{container}}
            """)}");
        await K.OkAsync($"wait --for=condition=Ready pod/{name} --timeout=60s", timeout: Step);
    }

    [TestMethod]
    public async Task AttachI_FeedsStdin_KeepsStdoutAndStderrApart_AndEndOfInputEndsIt()
    {
        await RunningAsync("echo", """
                stdin: true
                stdinOnce: true
                command: ["sh", "-c", "while read line; do echo \"out:$line\"; echo \"err:$line\" >&2; done; echo bye"]
            """);

        var attached = await K.RunAsync("attach -i echo -c c", stdin: "hello\nworld\n", timeout: Step);

        Assert.AreEqual(0, attached.ExitCode, attached.Stderr);
        Assert.AreEqual("out:hello\nout:world\nbye\n", attached.Stdout, "stdout has only what the container wrote to its stdout; stderr: " + attached.Stderr);
        StringAssert.Contains(attached.Stderr, "err:hello\nerr:world\n", "the container's stderr comes out on kubectl's stderr");
        await K.OkAsync("wait --for=jsonpath={.status.phase}=Succeeded pod/echo --timeout=60s", timeout: Step);
    }

    [TestMethod]
    public async Task RunI_Rm_AttachesWithStdin_AndReportsTheExitCode()
    {
        var run = await K.RunAsync($"run reader --image={PrivateContainerd.BusyboxImage} --restart=Never -i --rm -- sh -c 'read line; echo \"run-got:$line\"; echo to-stderr >&2; exit 3'",
            stdin: "from-kubectl\n", timeout: Step);

        StringAssert.Contains(run.Stdout, "run-got:from-kubectl", run.Stderr);
        Assert.IsFalse(run.Stdout.Contains("to-stderr", StringComparison.Ordinal), "stderr stays off stdout: " + run.Stdout);
        StringAssert.Contains(run.Stderr, "to-stderr");
        Assert.AreEqual(3, run.ExitCode, "kubectl run -i --rm returns the container's exit code: " + run.Stderr);
    }

    [TestMethod]
    public async Task AttachIt_GivesTheContainersTerminalKubectlsSize_AndEndsWithTheContainer()
    {
        if (!File.Exists("/usr/bin/script")) Assert.Inconclusive("util-linux's script is needed to give kubectl a terminal: apt-get install -y util-linux");
        // The container waits until its terminal has kubectl's size (it is 0 x 0 before anyone attached), says so and ends.
        await RunningAsync("sized", """
                stdin: true
                tty: true
                command: ["sh", "-c", "until [ \"$(stty size)\" = '31 97' ]; do sleep 0.1; done; echo sized-$((30+1))"]
            """);

        await using var session = LiveProcess.Start("/usr/bin/script",
            ["-q", "-e", "-c", $"stty cols 97 rows 31; '{Kubectl.Path}' --cache-dir='{_cluster!.CacheDir}' attach -it sized -c c", "/dev/null"],
            new Dictionary<string, string> { ["KUBECONFIG"] = _cluster.Host.Kubeconfig, ["SHELL"] = "/bin/sh" });
        var code = await session.WaitForExitAsync(Step);

        StringAssert.Contains(session.Stdout, "sized-31", session.Stderr);
        Assert.AreEqual(0, code, session.Stdout + session.Stderr);
        await K.OkAsync("wait --for=jsonpath={.status.phase}=Succeeded pod/sized --timeout=60s", timeout: Step);
    }
}
