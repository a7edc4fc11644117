using System.Diagnostics;

namespace Kube.E2E.Tests.Infrastructure;

/// <summary>Runs a command-line tool (kube-host subcommands, etcdctl) to completion with a deadline.</summary>
internal static class ToolProcess
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            return (-1, await stdout, await stderr + $"\n({fileName} timed out)");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary><c>dotnet kube-host.dll ARGS</c> from the build output.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> KubeHostAsync(params string[] args) =>
        RunAsync("dotnet", [KubeHostProcess.HostDll(), .. args]);
}
