using System.Text;
using System.Text.RegularExpressions;
using Kube.Node.Runtime;
using Kube.Node.Runtime.Process;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Node.Tests.Runtime.Process;

[TestClass]
public sealed class TerminalExecTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private ProcessRuntime _rt = null!;
    private string _dataDir = "";
    private string _marker = "";

    [TestInitialize]
    public async Task Init()
    {
        _dataDir = TempDirs.Create("kube-node-tty");
        _marker = TestUtil.UniqueSeconds(300);
        _rt = new ProcessRuntime(new ProcessRuntimeOptions { DataDir = _dataDir, PodCidr = "127.1.3.0/24" }, TimeProvider.System, NullLogger<ProcessRuntime>.Instance);
        await _rt.InitializeAsync(CancellationToken.None);
    }

    [TestCleanup]
    public async Task Cleanup()
    {
        foreach (var s in await _rt.ListPodSandboxesAsync(CancellationToken.None))
        {
            await _rt.RemovePodSandboxAsync(s.Id, CancellationToken.None);
        }

        await _rt.DisposeAsync();
        ProcessTable.KillAll(_marker);
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<string> RunningContainerAsync()
    {
        var sandbox = await _rt.RunPodSandboxAsync(new PodSandboxConfig { PodUid = Guid.NewGuid().ToString(), PodName = "tty", PodNamespace = "default" }, CancellationToken.None);
        var id = await _rt.CreateContainerAsync(sandbox, new ContainerConfig { Name = "main", Image = "busybox", Command = ["sleep", _marker] }, CancellationToken.None);
        await _rt.StartContainerAsync(id, CancellationToken.None);
        Assert.AreEqual(ContainerState.Running, (await _rt.ContainerStatusAsync(id, CancellationToken.None))?.State);
        return id;
    }

    /// <summary>Reads the terminal until <paramref name="until"/> matches what was read, or to its end when null; bounded by <see cref="Deadline"/>.</summary>
    private static async Task<string> ReadAsync(ExecProcess exec, StringBuilder seen, Regex? until)
    {
        using var cts = new CancellationTokenSource(Deadline);
        var buffer = new byte[4096];
        while (until is null || !until.IsMatch(seen.ToString()))
        {
            int n;
            try
            {
                n = await exec.Stdout.ReadAsync(buffer, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"timed out waiting for {until?.ToString() ?? "the end of output"}; output so far: {seen}");
                throw;
            }

            if (n == 0)
            {
                Assert.IsNull(until, $"output ended before {until}; output: {seen}");
                break;
            }

            seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        return seen.ToString();
    }

    [TestMethod]
    public async Task Exec_WithTerminal_RunsOnAPty_ThatIsItsControllingTerminal_WithTheGivenSize_AndReportsTheExitCode()
    {
        var id = await RunningContainerAsync();

        using var exec = await _rt.StartExecAsync(id, ["sh", "-c", "tty; stty size; : </dev/tty && echo ctty-ok; echo to-stderr >&2; exit 7"], new TerminalSize(100, 30), CancellationToken.None);
        var output = await ReadAsync(exec, new StringBuilder(), until: null);
        var code = await exec.WaitForExitAsync(new CancellationTokenSource(Deadline).Token);

        Assert.IsTrue(exec.IsTerminal);
        StringAssert.Matches(output, new Regex(@"^/dev/pts/\d+\r\n30 100\r\nctty-ok\r\nto-stderr\r\n$"), "a tty turns \\n into \\r\\n and carries stderr too");
        Assert.AreEqual(7, code);
        Assert.AreEqual(0, await exec.Stderr.ReadAsync(new byte[16]), "with a terminal there is no separate stderr");
    }

    [TestMethod]
    public async Task Exec_WithTerminal_FollowsResizes_TakesInput_AndEndsOnCtrlD()
    {
        var id = await RunningContainerAsync();

        using var exec = await _rt.StartExecAsync(id, ["sh", "-i"], new TerminalSize(80, 24), CancellationToken.None);
        var seen = new StringBuilder();
        await ReadAsync(exec, seen, new Regex(@"[$#] $"));
        exec.Resize(new TerminalSize(132, 43));
        await exec.Stdin.WriteAsync("stty size\n"u8.ToArray());
        await ReadAsync(exec, seen, new Regex(@"\r\n43 132\r\n"));
        await exec.Stdin.WriteAsync(new byte[] { 0x04 }); // Ctrl-D at the start of a line: end of input for the shell
        var code = await exec.WaitForExitAsync(new CancellationTokenSource(Deadline).Token);

        Assert.AreEqual(0, code, $"the shell ends normally on end-of-input; output: {seen}");
    }

    [TestMethod]
    public async Task Relay_Terminal_IsRaw_NoNewlineTranslationOrEcho()
    {
        var env = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin" };
        using var exec = ExecLauncher.StartOnTerminal(["sh", "-c", "printf 'a\\nb\\n'"], env, _dataDir, new TerminalSize(80, 24), TimeProvider.System, "test", relay: true);

        var output = await ReadAsync(exec, new StringBuilder(), until: null);

        Assert.AreEqual("a\nb\n", output);
    }

    [TestMethod]
    public async Task Exec_WithTerminal_OfAMissingCommand_FailsWithTheStartError()
    {
        var id = await RunningContainerAsync();

        var ex = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => _rt.StartExecAsync(id, ["no-such-command-kube"], new TerminalSize(80, 24), CancellationToken.None));

        StringAssert.Contains(ex.Message, "executable file not found in $PATH");
    }
}
