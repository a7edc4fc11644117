namespace Kube.E2E.Tests.Infrastructure;

/// <summary>Finds a python3 that can <c>import kubernetes</c> (Debian's python3-kubernetes) and runs scripts with it.</summary>
internal static class PythonKubernetes
{
    public const string InstallHint = "the Python client is needed: apt-get install -y python3-kubernetes";

    private static readonly Lazy<Task<string?>> Interpreter = new(FindAsync);

    /// <summary>The first of <c>python3</c> on PATH and <c>/usr/bin/python3</c> (where Debian's package lives) that imports kubernetes.</summary>
    public static Task<string?> InterpreterAsync() => Interpreter.Value;

    public static async Task<string> RequireAsync()
    {
        var python = await InterpreterAsync();
        if (python is null) Assert.Inconclusive(InstallHint);
        return python;
    }

    private static async Task<string?> FindAsync()
    {
        foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                await using var p = LiveProcess.Start(candidate, ["-c", "import kubernetes"]);
                if (await p.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed.
            }
        }
        return null;
    }

    /// <summary>Writes <paramref name="script"/> to a file in <paramref name="dir"/> and runs it with <paramref name="args"/>.</summary>
    public static async Task<KubectlResult> RunAsync(string dir, string script, IEnumerable<string> args, TimeSpan timeout)
    {
        var python = await RequireAsync();
        var file = Path.Combine(dir, $"script-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(file, script);
        try
        {
            await using var p = LiveProcess.Start(python, [file, .. args], new Dictionary<string, string> { ["PYTHONUNBUFFERED"] = "1" });
            var code = await p.WaitForExitAsync(timeout);
            return new KubectlResult(code ?? -1, p.Stdout, p.Stderr + (code is null ? "\n(python timed out)" : ""));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
