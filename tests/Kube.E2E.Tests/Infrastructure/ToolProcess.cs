namespace Kube.E2E.Tests.Infrastructure;

/// <summary>Runs a command-line tool (kube-host subcommands, etcdctl) to completion with a deadline (<see cref="ProcessRunner"/>).</summary>
internal static class ToolProcess
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var r = await ProcessRunner.RunAsync(fileName, args, env, timeout);
        return (r.ExitCode, r.Stdout, r.Stderr);
    }

    /// <summary><c>dotnet kube-host.dll ARGS</c> from the build output.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> KubeHostAsync(params string[] args) =>
        RunAsync("dotnet", [KubeHostProcess.HostDll(), .. args]);
}
