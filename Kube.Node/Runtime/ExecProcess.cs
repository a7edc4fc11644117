namespace Kube.Node.Runtime;

/// <summary>
/// A command running in a container for a streaming exec: its input, its output streams and its exit. Disposing kills it
/// if it still runs. Runtimes implement it for their own process handles (pipes, or a terminal when a tty was asked for).
/// </summary>
public abstract class ExecProcess : IDisposable
{
    /// <summary>The command's standard input; dispose it to send end-of-file (on a terminal, input only ends with the process).</summary>
    public abstract Stream Stdin { get; }

    /// <summary>The command's standard output; on a terminal, everything the terminal shows.</summary>
    public abstract Stream Stdout { get; }

    /// <summary>The command's standard error; empty on a terminal, whose output is all on <see cref="Stdout"/>.</summary>
    public abstract Stream Stderr { get; }

    /// <summary>True when the command runs on a terminal (<see cref="Resize"/> then applies).</summary>
    public virtual bool IsTerminal => false;

    /// <summary>Sets the terminal's window size; ignored without a terminal.</summary>
    public virtual void Resize(TerminalSize size)
    {
    }

    /// <summary>Completes with the exit code (128 + signal when a signal ended it).</summary>
    public abstract Task<int> WaitForExitAsync(CancellationToken cancellationToken);

    /// <summary>Kills the command and its children.</summary>
    public abstract void Kill();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
