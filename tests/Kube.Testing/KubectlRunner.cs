using System.Text;

namespace Kube.Testing;

/// <summary>
/// Runs the real kubectl against a kubeconfig, with its own discovery cache (and, for <see cref="ForServer"/>, its own
/// HOME). Global flags go first, so that none lands after a "--" (as in "create deployment x -- sleep 1").
/// </summary>
public sealed class KubectlRunner : IDisposable
{
    public const string InstallHint = "kubectl 1.32 is needed: install it (e.g. `apt-get install -y kubectl` from the Kubernetes apt repository, or put the kubectl binary on PATH).";

    private readonly string _kubeconfig;
    private readonly string _cacheDir;
    private readonly string? _ownedHome;
    private readonly string? _requestTimeout;
    private readonly TimeSpan _timeout;

    /// <summary>kubectl over an existing <paramref name="kubeconfig"/>; each run may take up to <paramref name="timeout"/> (default 150 s).</summary>
    public KubectlRunner(string kubeconfig, string cacheDir, TimeSpan? timeout = null)
        : this(kubeconfig, cacheDir, null, null, timeout ?? TimeSpan.FromSeconds(150))
    {
    }

    private KubectlRunner(string kubeconfig, string cacheDir, string? ownedHome, string? requestTimeout, TimeSpan timeout)
    {
        _kubeconfig = kubeconfig;
        _cacheDir = cacheDir;
        _ownedHome = ownedHome;
        _requestTimeout = requestTimeout;
        _timeout = timeout;
    }

    /// <summary>kubectl from PATH (or the usual system folders), or null when it is not installed.</summary>
    public static string? Path { get; } = ToolPath.Find("kubectl");

    public static bool IsInstalled => Path is not null;

    /// <summary>Ends the test as Inconclusive, with the install command, when kubectl is missing.</summary>
    public static void RequireInstalled()
    {
        if (Path is null)
        {
            Assert.Inconclusive(InstallHint);
        }
    }

    /// <summary>The folder holding this kubectl's kubeconfig, HOME and cache, when <see cref="ForServer"/> made it.</summary>
    public string? Home => _ownedHome;

    /// <summary>
    /// kubectl for an unauthenticated test API server at <paramref name="server"/>: writes a kubeconfig (namespace
    /// default) into a fresh HOME, which <see cref="Dispose"/> deletes. Every request has kubectl's
    /// <c>--request-timeout</c> of <paramref name="requestTimeout"/> (default 20 s), every run <paramref name="timeout"/> (default 60 s).
    /// </summary>
    public static KubectlRunner ForServer(Uri server, TimeSpan? requestTimeout = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        var home = TempDirs.Create("kube-test-kubectl");
        var kubeconfig = System.IO.Path.Combine(home, "kubeconfig");
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster:
                server: {server.ToString().TrimEnd('/')}
            users:
            - name: test
              user: {"{}"}
            contexts:
            - name: test
              context:
                cluster: test
                user: test
                namespace: default
            current-context: test
            """);
        var seconds = (int)(requestTimeout ?? TimeSpan.FromSeconds(20)).TotalSeconds;
        return new KubectlRunner(kubeconfig, System.IO.Path.Combine(home, "cache"), home, $"{seconds}s", timeout ?? TimeSpan.FromSeconds(60));
    }

    /// <summary>Writes a file (a manifest) into this kubectl's HOME and returns its path.</summary>
    public string WriteFile(string name, string content)
    {
        var path = System.IO.Path.Combine(_ownedHome ?? _cacheDir, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Runs <c>kubectl ARGS</c>, where <paramref name="commandLine"/> is split on spaces ('single quotes' keep a part together).</summary>
    public Task<ToolResult> RunAsync(string commandLine, string? stdin = null, TimeSpan? timeout = null) =>
        RunArgsAsync(SplitArgs(commandLine), stdin, timeout);

    /// <summary>Runs kubectl with these arguments, as they are.</summary>
    public Task<ToolResult> RunArgsAsync(params string[] args) => RunArgsAsync(args, null, null);

    /// <summary>Runs kubectl with these arguments; on its deadline it is killed and the exit code is -1.</summary>
    public Task<ToolResult> RunArgsAsync(IEnumerable<string> args, string? stdin, TimeSpan? timeout)
    {
        List<string> all = ["--cache-dir=" + _cacheDir];
        if (_requestTimeout is not null)
        {
            all.Add("--request-timeout=" + _requestTimeout);
        }

        all.AddRange(args);
        var env = new Dictionary<string, string> { ["KUBECONFIG"] = _kubeconfig };
        if (_ownedHome is not null)
        {
            env["HOME"] = _ownedHome;
        }

        return ProcessRunner.RunAsync(Path ?? "kubectl", all, env, timeout ?? _timeout, stdin);
    }

    /// <summary>Runs kubectl and fails the test with its output unless it exits 0; returns stdout.</summary>
    public async Task<string> OkAsync(string commandLine, string? stdin = null, TimeSpan? timeout = null)
    {
        var r = await RunAsync(commandLine, stdin, timeout);
        Assert.AreEqual(0, r.ExitCode, $"kubectl {commandLine} failed:\n{r.Stdout}\n{r.Stderr}");
        return r.Stdout;
    }

    public void Dispose()
    {
        if (_ownedHome is not null)
        {
            TempDirs.TryDelete(_ownedHome);
        }
    }

    private static List<string> SplitArgs(string args)
    {
        var parts = new List<string>();
        var cur = new StringBuilder();
        var quoted = false;
        foreach (var ch in args)
        {
            if (ch == '\'')
            {
                quoted = !quoted;
                continue;
            }

            if (ch == ' ' && !quoted)
            {
                if (cur.Length > 0)
                {
                    parts.Add(cur.ToString());
                    cur.Clear();
                }

                continue;
            }

            cur.Append(ch);
        }

        if (cur.Length > 0)
        {
            parts.Add(cur.ToString());
        }

        return parts;
    }
}
