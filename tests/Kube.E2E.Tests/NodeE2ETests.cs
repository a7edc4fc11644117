using System.Text.RegularExpressions;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// Issue 7's "Done when" through the real kubectl against one <c>kube-host up</c> (process runtime) started with a
/// KubeletConfiguration (<c>--kubelet-config</c>) that has a staticPodPath. Probes use 1 s periods; each test has its own names.
/// </summary>
[TestClass]
public sealed class NodeE2ETests
{
    private static readonly TimeSpan Rollout = TimeSpan.FromSeconds(90);
    private static KubeHostProcess? _host;
    private static Kubectl? _kubectl;
    private static string _dir = "";
    private static string _staticDir = "";
    private static Kubectl K => _kubectl!;
    private static string CacheDir => Path.Combine(_dir, "kubecache");

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        if (Kubectl.Path is null) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-node-").FullName;
        _staticDir = Path.Combine(_dir, "manifests");
        Directory.CreateDirectory(_staticDir);
        var config = Path.Combine(_dir, "kubelet.yaml");
        await File.WriteAllTextAsync(config, $"""
            apiVersion: kubelet.config.k8s.io/v1beta1
            kind: KubeletConfiguration
            staticPodPath: {_staticDir}
            fileCheckFrequency: 1s
            """);
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"), extraArgs: $"--kubelet-config {config}");
        _kubectl = new Kubectl(_host.Kubeconfig, CacheDir);
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [TestInitialize]
    public void RequireKubectl() => Kubectl.RequireInstalled();

    private static string Marker() => $"{300000 + Random.Shared.Next(99999)}.{Random.Shared.Next(1000, 9999)}";

    private static async Task CreateAsync(string name, string yaml)
    {
        var file = Path.Combine(_dir, name + ".yaml");
        await File.WriteAllTextAsync(file, yaml);
        await K.OkAsync($"create -f {file}");
    }

    private static Task<KubectlResult> RunCmdAsync(string? stdin, params string[] args) =>
        KubectlStreaming.RunAsync(_host!.Kubeconfig, CacheDir, args, TimeSpan.FromSeconds(60), stdin);

    private static async Task<string> OkCmdAsync(params string[] args)
    {
        var r = await RunCmdAsync(null, args);
        Assert.AreEqual(0, r.ExitCode, $"kubectl {string.Join(' ', args)} failed:\n{r.Stdout}\n{r.Stderr}");
        return r.Stdout;
    }

    /// <summary>Polls <c>kubectl get pod NAME --no-headers</c> until the row matches.</summary>
    private static async Task<string> WaitRowAsync(string pod, Func<string, bool> condition, TimeSpan timeout, string what)
    {
        var row = "";
        var ok = await Wait.UntilAsync(async () =>
        {
            var r = await K.RunAsync($"get pod {pod} --no-headers");
            row = r.Stdout.Trim() + r.Stderr.Trim();
            return r.ExitCode == 0 && condition(row);
        }, timeout);
        Assert.IsTrue(ok, $"pod {pod} never {what}; last row: {row}\n{(await K.RunAsync($"describe pod {pod}")).Stdout}");
        return row;
    }

    private static int Restarts(string row) => int.Parse(Regex.Match(row, @"^\S+\s+\S+\s+\S+\s+(\d+)").Groups[1].Value);

    [TestMethod]
    public async Task LivenessProbeFailure_RestartsTheContainer_AndRestartsIncrements()
    {
        await CreateAsync("live", $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: live}
            spec:
              containers:
              - name: main
                image: busybox
                command: ["sleep", "{{Marker()}}"]
                livenessProbe:
                  exec: {command: ["false"]}
                  periodSeconds: 1
                  failureThreshold: 1
            """);
        var row = await WaitRowAsync("live", r => Regex.IsMatch(r, @"^live\s+\S+\s+\S+\s+[1-9]"), Rollout, "restarted after its liveness probe failed");
        Assert.IsTrue(Restarts(row) >= 1, row);
        var reason = await K.OkAsync("get pod live -o jsonpath={.status.containerStatuses[0].lastState.terminated.exitCode}");
        CollectionAssert.Contains(new[] { "137", "143" }, reason, "the failing liveness probe killed the container (SIGTERM, or SIGKILL after the grace period)");
    }

    [TestMethod]
    public async Task CrashingContainer_ShowsCrashLoopBackOff_WithGrowingDelays()
    {
        await CreateAsync("crash", """
            apiVersion: v1
            kind: Pod
            metadata: {name: crash}
            spec:
              containers:
              - {name: main, image: busybox, command: ["sh", "-c", "echo crashing; exit 1"]}
            """);
        // Upstream's delays: the first restart at once, then 10 s, then 20 s.
        await WaitRowAsync("crash", r => r.Contains(" CrashLoopBackOff ", StringComparison.Ordinal), Rollout, "showed CrashLoopBackOff");
        var messages = new HashSet<string>();
        var ok = await Wait.UntilAsync(async () =>
        {
            var message = await K.OkAsync("get pod crash -o jsonpath={.status.containerStatuses[0].state.waiting.message}");
            var m = Regex.Match(message, @"back-off (\d+)s restarting failed container=main");
            if (m.Success) messages.Add(m.Groups[1].Value);
            return messages.Contains("20");
        }, TimeSpan.FromSeconds(60));
        Assert.IsTrue(ok && messages.Contains("10"), $"back-off delays seen: [{string.Join(", ", messages)}]");
        var row = await WaitRowAsync("crash", r => Restarts(r) >= 2, TimeSpan.FromSeconds(5), "restarted twice");
        StringAssert.Contains(await K.OkAsync("get pod crash -o jsonpath={.status.containerStatuses[0].lastState.terminated.exitCode}"), "1", row);
    }

    [TestMethod]
    public async Task ReadinessProbe_GatesTheReadyCondition()
    {
        await CreateAsync("gate", $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: gate}
            spec:
              containers:
              - name: main
                image: busybox
                command: ["sleep", "{{Marker()}}"]
                readinessProbe:
                  exec: {command: ["cat", "ready-flag"]}
                  periodSeconds: 1
            """);
        await WaitRowAsync("gate", r => Regex.IsMatch(r, @"^gate\s+0/1\s+Running\s"), Rollout, "ran unready");
        Assert.AreEqual("False", await K.OkAsync("get pod gate -o jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"));
        await OkCmdAsync("exec", "gate", "--", "touch", "ready-flag");
        await WaitRowAsync("gate", r => Regex.IsMatch(r, @"^gate\s+1/1\s+Running\s"), TimeSpan.FromSeconds(30), "became ready");
        await OkCmdAsync("exec", "gate", "--", "rm", "ready-flag");
        await WaitRowAsync("gate", r => Regex.IsMatch(r, @"^gate\s+0/1\s+Running\s"), TimeSpan.FromSeconds(30), "became unready again");
    }

    [TestMethod]
    public async Task Logs_FollowAndPrevious_AndExecSeesThePodsHostname()
    {
        // Attempt 1 prints and fails; attempt 2 prints, then a line each time a "tick" file appears.
        await CreateAsync("chatter", $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: chatter}
            spec:
              containers:
              - name: main
                image: busybox
                command:
                - sh
                - -c
                - |
                  n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count
                  echo "attempt-$n"
                  [ $n -ge 2 ] || exit 1
                  while :; do if [ -e tick ]; then echo "tick-line"; rm -f tick; fi; sleep 0.1; done
                - "{{Marker()}}"
            """);
        await WaitRowAsync("chatter", r => Regex.IsMatch(r, @"^chatter\s+1/1\s+Running\s+1\s"), Rollout, "ran its second attempt");
        Assert.AreEqual("attempt-1\n", await K.OkAsync("logs chatter --previous"));
        Assert.AreEqual("attempt-2\n", await K.OkAsync("logs chatter"));

        await using var follow = KubectlStreaming.Start(_host!.Kubeconfig, CacheDir, ["logs", "-f", "chatter"]);
        Assert.IsTrue(await follow.WaitForLineAsync(l => l == "attempt-2", TimeSpan.FromSeconds(30)), follow.Stdout + follow.Stderr);
        await OkCmdAsync("exec", "chatter", "--", "touch", "tick");
        Assert.IsTrue(await follow.WaitForLineAsync(l => l == "tick-line", TimeSpan.FromSeconds(30)), $"logs -f did not stream the new line:\n{follow.Stdout}{follow.Stderr}");

        // The process runtime shares the host's /etc, so the pod's hostname is its HOSTNAME, as a container's /etc/hostname holds.
        Assert.AreEqual("chatter\n", await OkCmdAsync("exec", "chatter", "--", "printenv", "HOSTNAME"));
    }

    [TestMethod]
    public async Task ConfigMapAndSecret_VolumesAndEnv_AppearInTheContainer()
    {
        await K.OkAsync("create configmap app-config --from-literal=greeting=hello");
        await K.OkAsync("create secret generic app-secret --from-literal=password=s3cret");
        await CreateAsync("consumer", $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: consumer}
            spec:
              volumes:
              - {name: config, configMap: {name: app-config}}
              - {name: secret, secret: {secretName: app-secret}}
              containers:
              - name: main
                image: busybox
                command: ["sleep", "{{{Marker()}}}"]
                env:
                - name: GREETING
                  valueFrom: {configMapKeyRef: {name: app-config, key: greeting}}
                - name: PASSWORD
                  valueFrom: {secretKeyRef: {name: app-secret, key: password}}
                volumeMounts:
                - {name: config, mountPath: /etc/app-config}
                - {name: secret, mountPath: /etc/app-secret, readOnly: true}
            """);
        await K.OkAsync("wait --for=condition=Ready pod/consumer --timeout=90s", timeout: Rollout);
        Assert.AreEqual("hello", (await OkCmdAsync("exec", "consumer", "--", "cat", "/etc/app-config/greeting")).TrimEnd());
        Assert.AreEqual("s3cret", (await OkCmdAsync("exec", "consumer", "--", "cat", "/etc/app-secret/password")).TrimEnd());
        Assert.AreEqual("hello\ns3cret\n", await OkCmdAsync("exec", "consumer", "--", "printenv", "GREETING", "PASSWORD"));
    }

    [TestMethod]
    public async Task GracefulDeletion_DeliversSigterm_ToTheContainersTrap()
    {
        var outDir = Path.Combine(_dir, "term-out");
        await CreateAsync("term", $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: term}
            spec:
              terminationGracePeriodSeconds: 20
              volumes:
              - {name: out, hostPath: {path: "{{{outDir}}}", type: DirectoryOrCreate}}
              containers:
              - name: main
                image: busybox
                command:
                - sh
                - -c
                - |
                  trap 'echo got-SIGTERM > /out/term; exit 0' TERM
                  echo started
                  while :; do sleep 0.1; done
                - "{{{Marker()}}}"
                volumeMounts:
                - {name: out, mountPath: /out}
            """);
        await K.OkAsync("wait --for=condition=Ready pod/term --timeout=90s", timeout: Rollout);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await K.OkAsync("delete pod term --wait=true --timeout=60s", timeout: TimeSpan.FromSeconds(70));
        Assert.AreEqual("got-SIGTERM\n", await File.ReadAllTextAsync(Path.Combine(outDir, "term")));
        Assert.IsTrue(sw.Elapsed < TimeSpan.FromSeconds(20), $"the trap exited at once, yet deletion took {sw.Elapsed}");
    }

    [TestMethod]
    public async Task StaticPod_Runs_WithItsMirrorPodVisible()
    {
        await File.WriteAllTextAsync(Path.Combine(_staticDir, "static-web.yaml"), $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: static-web}
            spec:
              containers:
              - {name: main, image: busybox, command: ["sleep", "{{Marker()}}"]}
            """);
        await WaitRowAsync("static-web-node-1", r => Regex.IsMatch(r, @"^static-web-node-1\s+1/1\s+Running\s"), Rollout, "ran as a mirror pod");
        Assert.AreEqual("file", await K.OkAsync(@"get pod static-web-node-1 -o jsonpath={.metadata.annotations.kubernetes\.io/config\.source}"));
        Assert.AreNotEqual("", await K.OkAsync(@"get pod static-web-node-1 -o jsonpath={.metadata.annotations.kubernetes\.io/config\.mirror}"));
        Assert.AreEqual("Node/node-1", await K.OkAsync("get pod static-web-node-1 -o jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}"));

        File.Delete(Path.Combine(_staticDir, "static-web.yaml"));
        var gone = await Wait.UntilAsync(async () => (await K.RunAsync("get pod static-web-node-1")).ExitCode != 0, TimeSpan.FromSeconds(30));
        Assert.IsTrue(gone, "the mirror pod stayed after its manifest was removed");
    }

    [TestMethod]
    public async Task TopPods_ShowsCpuAndMemory()
    {
        await CreateAsync("busy", $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: busy}
            spec:
              containers:
              - {name: main, image: busybox, command: ["sh", "-c", "x=$(head -c 3000000 /dev/zero | tr '\\0' x); while :; do sleep 0.01; done", "{{{Marker()}}}"]}
            """);
        await K.OkAsync("wait --for=condition=Ready pod/busy --timeout=90s", timeout: Rollout);
        var output = "";
        var ok = await Wait.UntilAsync(async () =>
        {
            var r = await K.RunAsync("top pod busy");
            output = r.Stdout + r.Stderr;
            return r.ExitCode == 0 && Regex.IsMatch(r.Stdout, @"(?m)^busy\s+\d+m\s+[1-9]\d*Mi");
        }, TimeSpan.FromSeconds(60));
        Assert.IsTrue(ok, "kubectl top pod: " + output);
        StringAssert.Matches(await K.OkAsync("top nodes"), new Regex(@"(?m)^node-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%"));
    }
}
