using System.Diagnostics;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// <c>kube-node</c> (samples/Kube.Node.Agent) published with NativeAOT joins a <c>kube-host up</c> cluster as a separate
/// node with kube-host node's flags (a KubeletConfiguration file, HTTPS kubelet server with the cluster CA), runs a pod with
/// the process runtime, and serves <c>kubectl logs</c> and <c>kubectl exec</c> through the API server. The publish is done
/// once per test run, into this test's output folder; without clang (NativeAOT's linker driver) the tests are Inconclusive.
/// </summary>
[TestClass]
public sealed class NodeAotAgentTests
{
    private static KubeHostProcess? _host;
    private static Kubectl? _kubectl;
    private static string _dir = "";
    private static string? _agent;
    private static string _publishFailure = "";

    private static Kubectl K => _kubectl ?? throw new InvalidOperationException("the cluster did not start");

    [ClassInitialize]
    public static async Task PublishAndStartClusterAsync(TestContext _)
    {
        if (Kubectl.Path is null) return;
        (_agent, _publishFailure) = await PublishAsync();
        if (_agent is null) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-aot-node-").FullName;
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"));
        _kubectl = new Kubectl(_host.Kubeconfig, Path.Combine(_dir, "kubecache"));
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [TestInitialize]
    public void RequireTools()
    {
        Kubectl.RequireInstalled();
        if (_agent is null) Assert.Inconclusive(_publishFailure);
    }

    [TestMethod]
    public async Task AotNode_JoinsTheCluster_RunsAPod_ServesLogsAndExec()
    {
        var r = await ToolProcess.KubeHostAsync("kubeconfig", "--data-dir", _host!.DataDir, "--node", "aot-1", "--out", Path.Combine(_dir, "aot-1.kubeconfig"));
        Assert.AreEqual(0, r.ExitCode, r.Stdout + r.Stderr);
        var pki = Path.Combine(_host.DataDir, "pki");
        // A KubeletConfiguration read under AOT (YAML), with a field this agent does not know (warned, not refused), and a
        // static pod manifest (YAML read without KubernetesYaml) mirrored into the API server.
        var manifests = Directory.CreateDirectory(Path.Combine(_dir, "manifests")).FullName;
        await File.WriteAllTextAsync(Path.Combine(manifests, "static.yaml"), """
            apiVersion: v1
            kind: Pod
            metadata: {name: aot-static, namespace: default, labels: {tier: "1"}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: busybox, command: ["sleep", "3600"], ports: [{containerPort: 8080}]}
            """);
        var config = Path.Combine(_dir, "kubelet.yaml");
        await File.WriteAllTextAsync(config, $"""
            apiVersion: kubelet.config.k8s.io/v1beta1
            kind: KubeletConfiguration
            maxPods: 17
            staticPodPath: {manifests}
            fileCheckFrequency: 1s
            notAFieldOfKubelet: true
            """);
        await using var agent = LiveProcess.Start(_agent!,
            ["--kubeconfig", r.Stdout.Trim(), "--name", "aot-1", "--config", config, "--data-dir", Path.Combine(_dir, "aot-node"),
             "--tls-cert-file", Path.Combine(pki, "kubelet-aot-1.crt"), "--tls-private-key-file", Path.Combine(pki, "kubelet-aot-1.key"), "--client-ca-file", Path.Combine(pki, "ca.crt")]);
        try
        {
            var ready = await Wait.UntilAsync(async () =>
            {
                var nodes = await K.RunAsync("get node aot-1 --no-headers");
                return nodes.ExitCode == 0 && nodes.Stdout.Contains(" Ready ");
            }, TimeSpan.FromSeconds(60));
            Assert.IsTrue(ready, "aot-1 never became Ready:\n" + agent.Stdout + agent.Stderr);
            Assert.AreEqual("17", await K.OkAsync("get node aot-1 -o jsonpath={.status.capacity.pods}"), "maxPods from the KubeletConfiguration");
            StringAssert.Contains(agent.Stdout + agent.Stderr, "unknown field \"notAFieldOfKubelet\" is ignored");
            var mirror = "";
            Assert.IsTrue(await Wait.UntilAsync(async () => (mirror = (await K.RunAsync("get pod aot-static-aot-1 -o jsonpath={.status.phase}/{.metadata.labels.tier}/{.spec.containers[0].ports[0].containerPort}")).Stdout) == "Running/1/8080",
                TimeSpan.FromSeconds(90)), "the static pod's mirror pod: " + mirror + "\n" + agent.Stdout + agent.Stderr);

            await K.OkAsync("create -f -", """
                apiVersion: v1
                kind: Pod
                metadata: {name: aot-talker}
                spec:
                  nodeName: aot-1
                  containers:
                  - name: main
                    image: busybox
                    command: ["sh", "-c", "echo hello-from-aot-node; exec sleep 3600"]
                    env: [{name: GREETING, value: from-the-aot-agent}]
                """);
            await K.OkAsync("wait --for=condition=Ready pod/aot-talker --timeout=90s", timeout: TimeSpan.FromSeconds(100));
            var logs = "";
            Assert.IsTrue(await Wait.UntilAsync(async () => (logs = (await K.RunAsync("logs aot-talker")).Stdout).Contains("hello-from-aot-node"), TimeSpan.FromSeconds(60)),
                "kubectl logs through the API server: " + logs + "\n" + agent.Stdout + agent.Stderr);

            var exec = await K.RunAsync("exec aot-talker -- printenv GREETING");
            Assert.AreEqual((0, "from-the-aot-agent"), (exec.ExitCode, exec.Stdout.Trim()), exec.Stderr + agent.Stdout + agent.Stderr);
            var piped = await KubectlStreaming.RunAsync(_host.Kubeconfig, Path.Combine(_dir, "kubecache"), ["exec", "-i", "aot-talker", "--", "cat"], TimeSpan.FromSeconds(60), "through-aot\n");
            Assert.AreEqual((0, "through-aot\n"), (piped.ExitCode, piped.Stdout), piped.Stderr);

            await K.OkAsync("delete pod aot-talker --grace-period=1", timeout: TimeSpan.FromSeconds(60));
            var gone = await K.RunAsync("get pod aot-talker");
            Assert.AreNotEqual(0, gone.ExitCode, "the pod is deleted from the API once its containers are gone: " + gone.Stdout);
        }
        finally
        {
            await K.RunAsync("delete pod aot-talker --grace-period=0 --force --wait=false");
            agent.Kill();
            await K.RunAsync("delete node aot-1 --wait=false");
        }
    }

    /// <summary>
    /// <c>dotnet publish samples/Kube.Node.Agent -c Release -r linux-x64</c> into bin/…/kube-node-aot/ beside this test assembly,
    /// once per test run (the publish is incremental when nothing changed). Returns the executable, or null and why.
    /// </summary>
    private static async Task<(string? Path, string Failure)> PublishAsync()
    {
        const string install = "NativeAOT needs clang: apt-get install -y clang lld";
        if (!File.Exists("/usr/bin/clang")) return (null, "clang is missing; " + install);
        var repo = KubeHostProcess.RepoRoot();
        var output = Path.Combine(AppContext.BaseDirectory, "kube-node-aot");
        var sw = Stopwatch.StartNew();
        var r = await ToolProcess.RunAsync("dotnet", ["publish", Path.Combine(repo, "samples", "Kube.Node.Agent"), "-c", "Release", "-r", "linux-x64", "-o", output, "-nologo"],
            timeout: TimeSpan.FromMinutes(20));
        var exe = Path.Combine(output, "kube-node");
        if (r.ExitCode != 0 || !File.Exists(exe))
        {
            var text = r.Stdout + r.Stderr;
            return (null, text.Contains("ILCompiler", StringComparison.OrdinalIgnoreCase) && text.Contains("NU1101", StringComparison.Ordinal)
                ? "the ILCompiler package (runtime.linux-x64.Microsoft.DotNet.ILCompiler) cannot be restored; " + install + "\n" + text
                : Fail(text));
        }

        Console.WriteLine($"kube-node published with NativeAOT in {sw.Elapsed.TotalSeconds:F0} s ({new FileInfo(exe).Length / (1024 * 1024)} MiB)");
        return (exe, "");

        static string Fail(string text) => throw new AssertFailedException("dotnet publish of kube-node failed:\n" + text);
    }
}
