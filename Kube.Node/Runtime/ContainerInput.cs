namespace Kube.Node.Runtime;

/// <summary>
/// One attach session's way into a container's standard input (or its terminal). Disposing ends the session: a container created
/// with <see cref="ContainerConfig.StdinOnce"/> then reads end-of-file (on a terminal: an end-of-file character, Ctrl-D, is typed), as upstream's runtimes do after
/// the first attach; otherwise its input stays open for the next attach.
/// </summary>
public abstract class ContainerInput : IDisposable
{
    /// <summary>True when the container runs on a terminal (<see cref="Resize"/> then applies).</summary>
    public abstract bool IsTerminal { get; }

    /// <summary>Writes to the container's input.</summary>
    /// <exception cref="IOException">The input is closed (the container exited or closed it).</exception>
    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Sets the terminal's window size; ignored without a terminal.</summary>
    public virtual void Resize(TerminalSize size)
    {
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
