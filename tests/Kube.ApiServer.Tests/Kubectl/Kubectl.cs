using System.Diagnostics;

namespace Kube.ApiServer.Tests.Kubectl;

/// <summary>Runs the real kubectl against a test server with its own kubeconfig, HOME and cache directory.</summary>
internal sealed class Kubectl : IDisposable
{
    /// <summary>kubectl from PATH (the quick start expects it at /usr/bin/kubectl).</summary>
    public static readonly string Path = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(d => System.IO.Path.Combine(d, "kubectl"))
        .FirstOrDefault(File.Exists) ?? "/usr/bin/kubectl";

    public const string InstallHint = "kubectl is not installed: apt-get install -y kubectl (or see https://kubernetes.io/docs/tasks/tools/)";

    private readonly string _home;
    private readonly string _kubeconfig;

    public Kubectl(Uri server)
    {
        _home = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kube-apiserver-kubectl", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(_home);
        _kubeconfig = System.IO.Path.Combine(_home, "kubeconfig");
        var url = server.ToString().TrimEnd('/');
        File.WriteAllText(_kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster:
                server: {url}
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
    }

    public static bool Exists => File.Exists(Path);

    public string WriteFile(string name, string content)
    {
        var p = System.IO.Path.Combine(_home, name);
        File.WriteAllText(p, content);
        return p;
    }

    public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(_kubeconfig);
        psi.ArgumentList.Add("--cache-dir");
        psi.ArgumentList.Add(System.IO.Path.Combine(_home, "cache"));
        psi.ArgumentList.Add("--request-timeout=20s");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = _home;
        psi.Environment["KUBECONFIG"] = _kubeconfig;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(' ', args)} did not finish in 60 s");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
