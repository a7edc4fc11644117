using System.Diagnostics;
using System.Globalization;

namespace Kube.Benchmarks;

/// <summary>
/// Which node agent process the podstartup benchmark measures (<c>--agent</c>):
/// <list type="bullet">
/// <item><c>embedded</c>: this executable's <c>podstartup-agent</c> mode on the JIT (a bare <see cref="Kube.Node.Agent.NodeAgent"/>, no generic host);</item>
/// <item><c>jit</c>: <c>kube-node</c> (samples/Kube.Node.Agent, the same program as <c>kube-host node</c>) on the JIT;</item>
/// <item><c>aot</c>: <c>kube-node</c> published with NativeAOT.</item>
/// </list>
/// Both kube-node builds are brought up to date first (incrementally), and the time that took is printed; with
/// <c>--reuse-build</c> an existing build or publish output is used as it is (a NativeAOT publish takes minutes).
/// kube-node joins through a kubeconfig naming the benchmark's API server. PODSTARTUP_AGENT_ENV=K=V,K=V sets runtime
/// settings on the agent (e.g. DOTNET_GCgen0size) without rebuilding.
/// </summary>
internal sealed class PodStartupAgentProcess
{
    private readonly Func<string, ProcessStartInfo> _command;

    private PodStartupAgentProcess(string name, string description, Func<string, ProcessStartInfo> command)
    {
        Name = name;
        Description = description;
        _command = command;
    }

    public string Name { get; }

    public string Description { get; }

    public static PodStartupAgentProcess Resolve(string name, bool reuseBuild = false)
    {
        switch (name)
        {
            case "embedded":
                return new PodStartupAgentProcess(name, "podstartup-agent on the JIT", _ =>
                {
                    var psi = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet");
                    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
                    {
                        psi.ArgumentList.Add(typeof(PodStartupAgentProcess).Assembly.Location);
                    }

                    psi.ArgumentList.Add("podstartup-agent");
                    return psi;
                });
            case "jit":
                var dll = Build(reuseBuild, "build", Path.Combine("bin", Configuration(), "net10.0", "kube-node.dll"), "-c", Configuration());
                return new PodStartupAgentProcess(name, $"kube-node on the JIT, {dll}", _ => new ProcessStartInfo("dotnet") { ArgumentList = { dll } });
            case "aot":
                var exe = Build(reuseBuild, "publish", Path.Combine("bin", "Release", "net10.0", "linux-x64", "publish", "kube-node"), "-c", "Release", "-r", "linux-x64");
                return new PodStartupAgentProcess(name, $"kube-node NativeAOT, {exe}, {new FileInfo(exe).Length / (1024.0 * 1024):F1} MiB", _ => new ProcessStartInfo(exe));
            default:
                throw new ArgumentException($"--agent {name}: expected embedded, jit or aot");
        }
    }

    /// <summary>Starts the agent for node <c>bench-node</c> against <paramref name="api"/>, its data under <paramref name="dir"/>.</summary>
    public Process Start(Uri api, string dir, string runtime)
    {
        var dataDir = Path.Combine(dir, "node");
        var psi = _command(dir);
        psi.UseShellExecute = false;
        psi.RedirectStandardInput = true;
        foreach (var kv in (Environment.GetEnvironmentVariable("PODSTARTUP_AGENT_ENV") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = kv.Split('=', 2);
            psi.Environment[parts[0]] = parts.Length > 1 ? parts[1] : "";
        }

        if (Name == "embedded")
        {
            foreach (var a in new[] { "--server", api.ToString(), "--data-dir", dataDir, "--runtime", runtime })
            {
                psi.ArgumentList.Add(a);
            }
        }
        else
        {
            var kubeconfig = Path.Combine(dir, "node.kubeconfig");
            File.WriteAllText(kubeconfig, $"""
                apiVersion: v1
                kind: Config
                clusters:
                - name: bench
                  cluster:
                    server: {api.ToString().TrimEnd('/')}
                contexts:
                - name: bench
                  context:
                    cluster: bench
                current-context: bench

                """);
            foreach (var a in new[] { "--kubeconfig", kubeconfig, "--name", "bench-node", "--data-dir", dataDir, "--runtime", runtime })
            {
                psi.ArgumentList.Add(a);
            }

            // kube-node logs at Information on stdout; the benchmark's table is on stdout too.
            psi.RedirectStandardOutput = true;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the agent process");
        if (psi.RedirectStandardOutput)
        {
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && (line.Contains("fail:", StringComparison.Ordinal) || line.Contains("crit:", StringComparison.Ordinal)))
                {
                    Console.Error.WriteLine($"  agent: {line}");
                }
            };
            process.BeginOutputReadLine();
        }

        return process;
    }

    /// <summary>
    /// samples/Kube.Node.Agent's <paramref name="output"/> (relative to the project), brought up to date by <c>dotnet VERB</c>
    /// (incremental; NativeAOT's publish needs clang), with the time it took printed; with <paramref name="reuse"/> an existing
    /// output as it is.
    /// </summary>
    private static string Build(bool reuse, string verb, string output, params string[] args)
    {
        var project = Path.Combine(RepoRoot(), "samples", "Kube.Node.Agent");
        var path = Path.Combine(project, output);
        if (reuse && File.Exists(path))
        {
            Console.Error.WriteLine($"  --reuse-build: {path} as built at {File.GetLastWriteTimeUtc(path):u}");
            return path;
        }
        var psi = new ProcessStartInfo("dotnet") { ArgumentList = { verb, project, "-nologo", "-v", "q" } };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Console.Error.WriteLine($"  dotnet {string.Join(' ', psi.ArgumentList)}");
        var sw = Stopwatch.StartNew();
        using var build = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        build.WaitForExit();
        if (build.ExitCode != 0 || !File.Exists(path))
        {
            throw new InvalidOperationException($"dotnet {verb} of kube-node failed ({build.ExitCode}); NativeAOT needs clang (apt-get install -y clang lld)");
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  dotnet {verb} took {sw.Elapsed.TotalSeconds:F0} s"));
        return path;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kube.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Kube.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>This benchmark's build configuration (Debug or Release), from its output path bin/CONFIG/net10.0/.</summary>
    private static string Configuration() => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;
}
