using System.Diagnostics;

namespace Kube.E2E.Tests.Infrastructure;

/// <summary>Runs the real kubectl binary against a kubeconfig, with its own discovery cache.</summary>
internal sealed class Kubectl(string kubeconfig, string cacheDir)
{
    public const string InstallHint = "kubectl 1.32 is needed: install it (e.g. `apt-get install -y kubectl` from the Kubernetes apt repository, or put the kubectl binary on PATH).";

    public static string? Path => FindOnPath("kubectl");

    public static void RequireInstalled()
    {
        if (Path is null) Assert.Inconclusive(InstallHint);
    }

    public async Task<KubectlResult> RunAsync(string args, string? stdin = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(Path ?? "kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        // Global flags first: anything after a "--" would become part of a container command.
        psi.ArgumentList.Add("--cache-dir=" + cacheDir);
        foreach (var a in SplitArgs(args)) psi.ArgumentList.Add(a);
        psi.Environment["KUBECONFIG"] = kubeconfig;
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(150));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            return new KubectlResult(-1, await stdout, await stderr + "\n(kubectl timed out)");
        }
        return new KubectlResult(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs kubectl and fails the test with its output unless it exits 0.</summary>
    public async Task<string> OkAsync(string args, string? stdin = null, TimeSpan? timeout = null)
    {
        var r = await RunAsync(args, stdin, timeout);
        Assert.AreEqual(0, r.ExitCode, $"kubectl {args} failed:\n{r.Stdout}\n{r.Stderr}");
        return r.Stdout;
    }

    private static IEnumerable<string> SplitArgs(string args)
    {
        // Splits on spaces, keeping 'single-quoted' parts together (enough for our scripted sessions).
        var parts = new List<string>();
        var cur = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var ch in args)
        {
            if (ch == '\'') { quoted = !quoted; continue; }
            if (ch == ' ' && !quoted)
            {
                if (cur.Length > 0) { parts.Add(cur.ToString()); cur.Clear(); }
                continue;
            }
            cur.Append(ch);
        }
        if (cur.Length > 0) parts.Add(cur.ToString());
        return parts;
    }

    private static string? FindOnPath(string exe)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir, exe);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

internal sealed record KubectlResult(int ExitCode, string Stdout, string Stderr);
