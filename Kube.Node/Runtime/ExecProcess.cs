namespace Kube.Node.Runtime;

/// <summary>A command running in a container for a streaming exec: its three pipes and its exit. Disposing kills it if it still runs.</summary>
public sealed class ExecProcess : IDisposable
{
    private readonly System.Diagnostics.Process _process;

    internal ExecProcess(System.Diagnostics.Process process) => _process = process;

    /// <summary>The command's standard input; dispose it to send end-of-file.</summary>
    public Stream Stdin => _process.StandardInput.BaseStream;

    public Stream Stdout => _process.StandardOutput.BaseStream;

    public Stream Stderr => _process.StandardError.BaseStream;

    /// <summary>Completes with the exit code (128 + signal when a signal ended it).</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Kills the command and its children.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
