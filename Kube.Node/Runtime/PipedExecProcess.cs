namespace Kube.Node.Runtime;

/// <summary>An exec whose standard streams are pipes of a <see cref="System.Diagnostics.Process"/>.</summary>
internal sealed class PipedExecProcess(System.Diagnostics.Process process) : ExecProcess
{
    public override Stream Stdin => process.StandardInput.BaseStream;

    public override Stream Stdout => process.StandardOutput.BaseStream;

    public override Stream Stderr => process.StandardError.BaseStream;

    public override async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return process.ExitCode;
    }

    public override void Kill()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (!process.HasExited)
            {
                Kill();
            }

            process.Dispose();
        }
    }
}
