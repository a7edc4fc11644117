using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// <c>kubectl exec -it</c> against <c>kube-host up</c> (process runtime): kubectl runs on a terminal of util-linux
/// <c>script</c> (a pty whose size is set with stty first), so it asks for a tty and sends its window size; the command
/// in the pod sees a /dev/pts terminal of that size, input reaches it, Ctrl-D ends it and its exit code is kubectl's.
/// </summary>
[TestClass]
public sealed class NodeTtyE2ETests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static KubeHostProcess? _host;
    private static Kubectl? _kubectl;
    private static string _dir = "";
    private static string CacheDir => Path.Combine(_dir, "kubecache");

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        if (Kubectl.Path is null || !File.Exists("/usr/bin/script")) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-tty-").FullName;
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"));
        _kubectl = new Kubectl(_host.Kubeconfig, CacheDir);
        var marker = $"{300000 + Random.Shared.Next(99999)}.{Random.Shared.Next(1000, 9999)}";
        await _kubectl.OkAsync($"run tty --image=busybox --restart=Never --command -- sleep {marker}");
        await _kubectl.OkAsync("wait --for=condition=Ready pod/tty --timeout=90s", timeout: TimeSpan.FromSeconds(100));
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
        if (!File.Exists("/usr/bin/script")) Assert.Inconclusive("util-linux's script is needed to give kubectl a terminal: apt-get install -y util-linux");
    }

    [TestMethod]
    public async Task ExecIt_SeesAPtyOfTheClientsSize_AndTheExitCodePropagates()
    {
        await using var session = TerminalSession.Start(_host!.Kubeconfig, CacheDir, "sh -c 'tty; stty size; exit 3'");

        var code = await session.WaitForExitAsync(Deadline);

        StringAssert.Matches(session.Output, new Regex(@"/dev/pts/\d+\r\n31 97\r\n"), "the command runs on a pty of kubectl's terminal size");
        Assert.AreEqual(3, code, $"kubectl exits with the command's exit code; output: {session.Output}");
    }

    [TestMethod]
    public async Task ExecIt_InteractiveShell_TakesInput_AndCtrlDEndsTheSession()
    {
        await using var session = TerminalSession.Start(_host!.Kubeconfig, CacheDir, "env PS1=tty-ready: sh -i");
        await session.WaitForAsync(new Regex("tty-ready:"), Deadline);

        await session.WriteAsync("stty size; echo typed-$((6*7))\r");
        await session.WaitForAsync(new Regex(@"31 97\r\ntyped-42\r\n"), Deadline);
        await session.WriteAsync("\u0004");
        var code = await session.WaitForExitAsync(Deadline);

        Assert.AreEqual(0, code, $"Ctrl-D ends the shell and kubectl with it; output: {session.Output}");
    }

    /// <summary><c>script -qec "stty cols 97 rows 31; kubectl exec -it tty -- COMMAND" /dev/null</c>, with its input writable and its output collected.</summary>
    private sealed class TerminalSession : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly Task _reader;

        private TerminalSession(Process process)
        {
            _process = process;
            _reader = ReadAsync();
        }

        public string Output
        {
            get { lock (_output) return _output.ToString(); }
        }

        public static TerminalSession Start(string kubeconfig, string cacheDir, string command)
        {
            var psi = new ProcessStartInfo("/usr/bin/script")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "-q", "-e", "-c", $"stty cols 97 rows 31; '{Kubectl.Path}' --cache-dir='{cacheDir}' exec -it tty -- {command}", "/dev/null" })
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["KUBECONFIG"] = kubeconfig;
            psi.Environment["SHELL"] = "/bin/sh";
            return new TerminalSession(Process.Start(psi)!);
        }

        public async Task WriteAsync(string text)
        {
            await _process.StandardInput.WriteAsync(text);
            await _process.StandardInput.FlushAsync();
        }

        public async Task WaitForAsync(Regex pattern, TimeSpan timeout)
        {
            Assert.IsTrue(await Wait.UntilAsync(() => pattern.IsMatch(Output) || _process.HasExited, timeout) && pattern.IsMatch(Output),
                $"never saw {pattern}; output: {Output}; stderr: {(_process.HasExited ? await _process.StandardError.ReadToEndAsync() : "(running)")}");
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the session did not end within {timeout}; output: {Output}");
            }

            await _reader.WaitAsync(timeout);
            return _process.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        private async Task ReadAsync()
        {
            var buffer = new char[4096];
            while (true)
            {
                var n = await _process.StandardOutput.ReadAsync(buffer);
                if (n == 0) return;
                lock (_output) _output.Append(buffer, 0, n);
            }
        }
    }
}
