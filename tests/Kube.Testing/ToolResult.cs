namespace Kube.Testing;

/// <summary>How a command-line tool ended: its exit code (-1 when it was killed at its deadline) and its output.</summary>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stdout and stderr together, for assertion messages.</summary>
    public string Output => Stdout + Stderr;
}
