using System.Text.RegularExpressions;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests.Compat;

/// <summary>
/// kubectl 1.32's <c>attach -i</c>, <c>run -i</c> and <c>debug</c> (ephemeral containers) against one <c>kube-host up</c> with the
/// process runtime (issue 4): input typed into kubectl reaches the container's standard input through pods/attach, and its answer
/// comes back; <c>kubectl debug</c> adds an ephemeral container through pods/ephemeralcontainers, which the node runs once.
/// </summary>
[TestClass]
public sealed class KubectlDebugAttachTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);
    private static KubectlHost? _cluster;

    private static Kubectl K => (_cluster ?? throw new InvalidOperationException("the cluster did not start")).Kubectl;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _) => _cluster = await KubectlHost.StartAsync("debug-attach");

    [ClassCleanup]
    public static Task StopClusterAsync() => KubectlHost.StopAsync(_cluster);

    [TestInitialize]
    public void RequireKubectl() => Kubectl.RequireInstalled();

    private static async Task ApplyAsync(string name, string yaml) => await K.OkAsync($"apply -f {await _cluster!.WriteFileAsync(name + ".yaml", yaml)}");

    /// <summary>A running pod whose container sleeps; the duration is unique to this class so the debugger can find it.</summary>
    private static async Task<int> SleeperAsync(string name)
    {
        var seconds = 300000 + Random.Shared.Next(1, 99999);
        await K.OkAsync($"run {name} --image=busybox --restart=Never -- sleep {seconds}");
        await K.OkAsync($"wait --for=condition=Ready pod/{name} --timeout=60s", timeout: Step);
        return seconds;
    }

    [TestMethod]
    public async Task AttachI_FeedsTheContainersStdin_ItsAnswerComesBack_StdoutAndStderrApart_AndEndOfInputEndsIt()
    {
        await ApplyAsync("echo", """
            apiVersion: v1
            kind: Pod
            metadata: {name: echo}
            spec:
              restartPolicy: Never
              containers:
              - name: c
                image: busybox
                stdin: true
                stdinOnce: true
                command: ["sh", "-c", "while read line; do echo \"got:$line\"; echo \"err:$line\" >&2; done; echo bye"]
            """);
        await K.OkAsync("wait --for=condition=Ready pod/echo --timeout=60s", timeout: Step);

        var attached = await K.RunAsync("attach -i echo -c c", stdin: "hello\nworld\n", timeout: Step);
        Assert.AreEqual(0, attached.ExitCode, attached.Stderr);
        Assert.AreEqual("got:hello\ngot:world\nbye\n", attached.Stdout, "the input's answers (stdout only), then the end of input (stdinOnce) ends the loop");
        StringAssert.Contains(attached.Stderr, "err:hello\nerr:world\n", "the container's stderr comes out on kubectl's stderr, as upstream");
        StringAssert.Contains(await K.OkAsync("logs echo"), "err:world", "kubectl logs has both streams");
        await K.OkAsync("wait --for=jsonpath={.status.phase}=Succeeded pod/echo --timeout=60s", timeout: Step);
    }

    [TestMethod]
    public async Task RunI_AttachesWithStdin_AndReportsTheExitCode()
    {
        var run = await K.RunAsync("run reader --image=busybox --restart=Never -i --rm -- sh -c 'read line; echo \"run-got:$line\"; exit 3'",
            stdin: "from-kubectl\n", timeout: Step);
        StringAssert.Contains(run.Stdout, "run-got:from-kubectl", run.Stderr);
        Assert.AreEqual(3, run.ExitCode, "kubectl run -i --rm returns the container's exit code: " + run.Stderr);
    }

    [TestMethod]
    public async Task Debug_AddsAnEphemeralContainer_ThatRunsOnce_WithItsOutputInKubectlLogs()
    {
        var seconds = await SleeperAsync("app");
        var debug = await K.RunAsync($"debug app --image=busybox --target=app --profile=general -- sh -c 'echo debugger-ran; ps -eo args | grep -c \"^sleep {seconds}$\"'", timeout: Step);
        Assert.AreEqual(0, debug.ExitCode, debug.Stderr);
        var name = Regex.Match(debug.Stdout + debug.Stderr, @"Defaulting debug container name to (debugger-\w+)\.").Groups[1].Value;
        Assert.AreNotEqual("", name, debug.Stdout + debug.Stderr);

        await K.OkAsync("wait --for=jsonpath={.status.ephemeralContainerStatuses[0].state.terminated.reason}=Completed pod/app --timeout=60s", timeout: Step);
        // The target's processes are visible to the debugger: one host PID namespace under the process runtime.
        Assert.AreEqual("debugger-ran\n1\n", await K.OkAsync($"logs app -c {name}"));
        Assert.AreEqual($"{name} app", await K.OkAsync("get pod app -o 'jsonpath={.spec.ephemeralContainers[0].name}{\" \"}{.spec.ephemeralContainers[0].targetContainerName}'"));
        Assert.AreEqual("0 false", await K.OkAsync("get pod app -o 'jsonpath={.status.ephemeralContainerStatuses[0].restartCount}{\" \"}{.status.ephemeralContainerStatuses[0].ready}'"));
        Assert.AreEqual("Running True", await K.OkAsync("get pod app -o 'jsonpath={.status.phase}{\" \"}{.status.conditions[?(@.type==\"Ready\")].status}'"),
            "the pod goes on, ready, with its debugger exited");
    }

    [TestMethod]
    public async Task DebugI_RunsAnInteractiveShell_InAnEphemeralContainer()
    {
        await SleeperAsync("shell-target");
        var debug = await K.RunAsync("debug shell-target -i --image=busybox --profile=general -- sh", stdin: "echo \"in-debugger-$((6*7))\"\nexit\n", timeout: Step);
        Assert.AreEqual(0, debug.ExitCode, debug.Stderr);
        StringAssert.Contains(debug.Stdout, "in-debugger-42", debug.Stderr);
        await K.OkAsync("wait --for=jsonpath={.status.ephemeralContainerStatuses[0].state.terminated.exitCode}=0 pod/shell-target --timeout=60s", timeout: Step);
    }

    [TestMethod]
    public async Task InvalidEphemeralContainers_Are422_WithTheFieldsNamed()
    {
        await SleeperAsync("strict");
        var probe = await K.RunAsync("patch pod strict --subresource=ephemeralcontainers -p "
            + "'{\"spec\":{\"ephemeralContainers\":[{\"name\":\"bad\",\"image\":\"busybox\",\"ports\":[{\"containerPort\":80}],\"targetContainerName\":\"nope\"}]}}'");
        Assert.AreNotEqual(0, probe.ExitCode);
        StringAssert.Contains(probe.Stderr, "The Pod \"strict\" is invalid");
        StringAssert.Contains(probe.Stderr, "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container");
        StringAssert.Contains(probe.Stderr, "spec.ephemeralContainers[0].targetContainerName: Not found: \"nope\"");

        var clash = await K.RunAsync("patch pod strict --subresource=ephemeralcontainers -p '{\"spec\":{\"ephemeralContainers\":[{\"name\":\"strict\",\"image\":\"busybox\"}]}}'");
        StringAssert.Contains(clash.Stderr, "spec.ephemeralContainers[0].name: Duplicate value: \"strict\"");

        var direct = await K.RunAsync("patch pod strict -p '{\"spec\":{\"ephemeralContainers\":[{\"name\":\"sneaky\",\"image\":\"busybox\"}]}}'");
        StringAssert.Contains(direct.Stderr, "pod updates may not change fields other than");
        Assert.AreEqual("", await K.OkAsync("get pod strict -o jsonpath={.spec.ephemeralContainers}"), "nothing was added");
    }
}
