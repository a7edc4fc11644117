using System.Diagnostics;
using System.Runtime;

namespace Kube.Benchmarks.Scheduler;

/// <summary>
/// The garbage collector the scheduler benchmark runs under (--gc): <c>server</c> (default) is kube-host's (a Web SDK app:
/// server GC, with .NET's dynamic adaptation, DATAS); <c>server-nodatas</c> is server GC with one heap per core from the
/// start (System.GC.DynamicAdaptationMode=0); <c>workstation</c> is a console app's default. The GC is chosen when a
/// process starts, so a mode other than the current process's reruns the benchmark in a child process (as the store
/// benchmark runs its member) with the DOTNET_ variables set, sharing this console, and returns its exit code.
/// </summary>
internal static class GcMode
{
    private const string ChildVariable = "KUBE_BENCH_SCHEDULER_CHILD";

    public static string Describe() =>
        $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC{(GCSettings.IsServerGC ? $", DATAS {(Environment.GetEnvironmentVariable("DOTNET_GCDynamicAdaptationMode") == "0" ? "off" : "default")}" : "")}";

    /// <summary>Null when this process already runs under <paramref name="mode"/>; otherwise the child's exit code.</summary>
    public static async Task<int?> RunInChildIfNeededAsync(string mode, string[] args)
    {
        var (server, datas) = mode switch
        {
            "server" => (true, (string?)null),
            "server-nodatas" => (true, "0"),
            "workstation" => (false, null),
            _ => throw new ArgumentException($"--gc {mode}: expected server, server-nodatas or workstation"),
        };
        if (Environment.GetEnvironmentVariable(ChildVariable) == "1") return null;
        if (GCSettings.IsServerGC == server && Environment.GetEnvironmentVariable("DOTNET_GCDynamicAdaptationMode") == datas) return null;

        var psi = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") psi.ArgumentList.Add(typeof(GcMode).Assembly.Location);
        psi.ArgumentList.Add("scheduler");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment[ChildVariable] = "1";
        psi.Environment["DOTNET_gcServer"] = server ? "1" : "0";
        if (datas is null) psi.Environment.Remove("DOTNET_GCDynamicAdaptationMode");
        else psi.Environment["DOTNET_GCDynamicAdaptationMode"] = datas;
        using var child = Process.Start(psi) ?? throw new InvalidOperationException("the benchmark's child process did not start");
        try
        {
            await child.WaitForExitAsync();
            return child.ExitCode;
        }
        finally
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
        }
    }
}
