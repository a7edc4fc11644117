namespace Kube.Node.Runtime;

/// <summary>The outcome of running a command in a container (CRI's ExecSync).</summary>
/// <param name="ExitCode">The command's exit code (128 + signal when a signal ended it; -1 when it did not start).</param>
/// <param name="Output">Its stdout and stderr, truncated to a few KiB.</param>
/// <param name="TimedOut">True when it was killed for running past its timeout.</param>
public sealed record ExecResult(int ExitCode, string Output, bool TimedOut);
