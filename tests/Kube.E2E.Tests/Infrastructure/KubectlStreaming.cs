namespace Kube.E2E.Tests.Infrastructure;

/// <summary>
/// Starts kubectl as a <see cref="LiveProcess"/>: for commands that stream (<c>get -w</c>) or need extra
/// environment (<c>edit</c> with <c>KUBE_EDITOR</c>), or pass a command after <c>--</c>. Uses the same kubeconfig and discovery cache as <see cref="Kubectl"/>.
/// </summary>
internal static class KubectlStreaming
{
    public static LiveProcess Start(string kubeconfig, string cacheDir, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, string? stdin = null)
    {
        var all = new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfig };
        if (env is not null)
        {
            foreach (var (k, v) in env) all[k] = v;
        }
        // The global flag goes first, so that it never lands after a "--" (as in "create deployment x -- sleep 1").
        return LiveProcess.Start(Kubectl.Path ?? "kubectl", ["--cache-dir=" + cacheDir, .. args], all, stdin);
    }

    /// <summary>Runs kubectl to completion; on timeout it is killed and the exit code is -1.</summary>
    public static async Task<KubectlResult> RunAsync(string kubeconfig, string cacheDir, IEnumerable<string> args, TimeSpan timeout, string? stdin = null)
    {
        await using var p = Start(kubeconfig, cacheDir, args, stdin: stdin);
        var code = await p.WaitForExitAsync(timeout);
        return new KubectlResult(code ?? -1, p.Stdout, p.Stderr + (code is null ? "\n(kubectl timed out)" : ""));
    }
}
