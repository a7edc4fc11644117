using System.Diagnostics;

namespace Kube.Testing;

/// <summary>Runs a command-line tool to completion with a deadline, capturing its output.</summary>
public static class ProcessRunner
{
    /// <summary>The deadline when none is given.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="args"/> (no shell). At <paramref name="timeout"/> the process
    /// tree is killed and the result has exit code -1 and "(tool timed out)" on stderr; when
    /// <paramref name="cancellationToken"/> fires it is killed too and the cancellation is thrown.
    /// </summary>
    public static async Task<ToolResult> RunAsync(string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null,
        TimeSpan? timeout = null, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{fileName} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = p.StandardError.ReadToEndAsync(CancellationToken.None);
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            await p.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            return new ToolResult(-1, await stdout, await stderr + $"\n({Path.GetFileName(fileName)} timed out)");
        }

        return new ToolResult(p.ExitCode, await stdout, await stderr);
    }
}
