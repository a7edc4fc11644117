namespace Kube.Node.Runtime;

/// <summary>
/// One attach session's view of a running container's output, from now on, with stdout and stderr apart (see
/// <see cref="IAttachRuntime.OpenOutput"/>). Each stream ends when the container closed it (it exited) or when this is disposed,
/// which only detaches.
/// </summary>
public abstract class ContainerOutput : IDisposable
{
    /// <summary>What the container writes to its standard output.</summary>
    public abstract Stream Stdout { get; }

    /// <summary>What the container writes to its standard error.</summary>
    public abstract Stream Stderr { get; }

    /// <summary>Completes when both streams have ended.</summary>
    public abstract Task Ended { get; }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
